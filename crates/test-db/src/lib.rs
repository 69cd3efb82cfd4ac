//! Throw-away PostgreSQL databases for tests: [`TestDb::create`] makes a
//! new, empty, uniquely named database and [`Drop`] removes it again
//! (`DROP DATABASE … WITH (FORCE)`, so connections left open do not keep
//! it alive). Every test gets its own database, so tests run in parallel
//! and never see each other's rows; nothing needs cleaning up by hand.
//!
//! The server is the one at `THUNDERPHONE_TEST_DATABASE_URL`, or
//! [`DEFAULT_URL`]. When it cannot be reached, [`TestDb::create`] panics
//! with a message naming the URL: a test that needs Postgres fails
//! without it, it never passes silently.
//!
//! This crate is test support: failures panic with a clear message.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fmt;
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The server used when `THUNDERPHONE_TEST_DATABASE_URL` is not set: the
/// local PostgreSQL with trust authentication.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The environment variable naming the server (any database on it that
/// the user can connect to; test databases are created beside it).
pub const URL_VARIABLE: &str = "THUNDERPHONE_TEST_DATABASE_URL";

/// Prefix of every test database's name, to spot leftovers of killed runs.
pub const NAME_PREFIX: &str = "thunderphone_test_";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database that exists until this value is dropped.
pub struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    /// Creates a new, empty database on the test server.
    ///
    /// Blocking: from async code call it via `spawn_blocking`, or accept
    /// that it briefly blocks the test's runtime (it takes milliseconds).
    ///
    /// # Panics
    /// When the server cannot be reached or refuses `CREATE DATABASE`; the
    /// message names the URL (without its password).
    pub fn create() -> Self {
        let admin_url = std::env::var(URL_VARIABLE).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let name = unique_name();
        let mut admin = connect(&admin_url);
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create test database {name} on {}: {e}",
                    redacted(&admin_url)
                )
            });
        let url = with_database(&admin_url, &name);
        Self {
            admin_url,
            name,
            url,
        }
    }

    /// The URL of the new database (same server, user and options).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let dropped = PgConnection::establish(&self.admin_url).and_then(|mut admin| {
            diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
        });
        // Never panic in drop (it may run while a test is already
        // panicking); a leftover database is named for cleanup.
        if let Err(error) = dropped {
            eprintln!(
                "warning: test database {} was not dropped: {error}",
                self.name
            );
        }
    }
}

/// Never prints the password of the URL.
impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("name", &self.name)
            .field("url", &redacted(&self.url))
            .finish()
    }
}

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is needed for this test but cannot be reached at {} ({e}). \
             Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) \
             or point {URL_VARIABLE} at a server.",
            redacted(url)
        )
    })
}

/// `thunderphone_test_<pid>_<counter>_<nanos>`: unique across the tests of
/// a process and across processes running at once.
fn unique_name() -> String {
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{NAME_PREFIX}{}_{count}_{nanos}", process::id())
}

/// `url` with its database (the path) replaced by `name`; query options
/// are kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// `url` with the password (if any) replaced by `***`.
pub fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => format!("{}{user}:***{}", &url[..scheme_end], &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    #[test]
    fn replaces_the_database_keeping_options() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redacted("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redacted("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn names_are_unique() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.starts_with(NAME_PREFIX));
    }

    #[test]
    fn creates_and_drops_a_database() {
        let db = TestDb::create();
        let mut conn = PgConnection::establish(db.url()).expect("connect to the test database");
        diesel::sql_query("CREATE TABLE probe (id INT)")
            .execute(&mut conn)
            .expect("the new database is writable");
        let name = db.name().to_owned();
        drop(db);
        let mut admin =
            connect(&std::env::var(URL_VARIABLE).unwrap_or_else(|_| DEFAULT_URL.into()));
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let left: Count =
            diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&name)
                .get_result(&mut admin)
                .expect("count databases");
        assert_eq!(left.n, 0, "dropped even with a connection still open");
        drop(conn);
    }

    #[test]
    #[should_panic(expected = "cannot be reached at postgres://u:***@127.0.0.1:1/db")]
    fn unreachable_server_panics_naming_it() {
        connect("postgres://u:pw@127.0.0.1:1/db?connect_timeout=2");
    }
}
