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
//! [`TestDb::migrated`] gives a database with every migration applied,
//! copied from a template that the process migrates once (the first time it
//! is asked), instead of migrating each test's database anew.
//!
//! This crate is test support: failures panic with a clear message.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fmt;
use std::process;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The schema's migrations, the same files the store embeds.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Prefix of the per-process template databases.
pub const TEMPLATE_PREFIX: &str = "thunderphone_template_";

/// This process's migrated template, made on first use.
static TEMPLATE: OnceLock<String> = OnceLock::new();

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
        Self::create_from(None)
    }

    /// Creates a new database holding the current schema (every migration
    /// applied, no rows): a copy of this process's template, which is
    /// migrated the first time it is needed. Copying is much faster than
    /// migrating each test's database.
    ///
    /// # Panics
    /// As [`TestDb::create`], and when a migration fails.
    pub fn migrated() -> Self {
        let admin_url = admin_url();
        let template = TEMPLATE.get_or_init(|| make_template(&admin_url));
        Self::create_from(Some(template))
    }

    fn create_from(template: Option<&str>) -> Self {
        let admin_url = admin_url();
        let name = unique_name();
        let mut admin = connect(&admin_url);
        let from = template
            .map(|t| format!(" TEMPLATE \"{t}\""))
            .unwrap_or_default();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"{from}"))
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

fn admin_url() -> String {
    std::env::var(URL_VARIABLE).unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

/// Creates and migrates `thunderphone_template_<pid>`, first dropping the
/// templates of processes that no longer run (a process cannot drop its
/// own at exit). Connections to it are then refused, so copies never
/// find it busy.
fn make_template(admin_url: &str) -> String {
    let mut admin = connect(admin_url);
    let existing: Vec<Named> = diesel::sql_query(format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{TEMPLATE_PREFIX}%'"
    ))
    .load(&mut admin)
    .unwrap_or_else(|e| panic!("cannot list template databases: {e}"));
    let own = format!("{TEMPLATE_PREFIX}{}", process::id());
    for Named { datname } in existing {
        let pid = datname.trim_start_matches(TEMPLATE_PREFIX);
        let running = std::path::Path::new("/proc").join(pid).exists();
        if datname == own || !running {
            drop_database(&mut admin, &datname);
        }
    }
    diesel::sql_query(format!("CREATE DATABASE \"{own}\""))
        .execute(&mut admin)
        .unwrap_or_else(|e| panic!("cannot create template database {own}: {e}"));
    {
        let mut conn = connect(&with_database(admin_url, &own));
        conn.run_pending_migrations(MIGRATIONS)
            .unwrap_or_else(|e| panic!("cannot migrate template database {own}: {e}"));
    }
    diesel::sql_query(format!(
        "ALTER DATABASE \"{own}\" WITH ALLOW_CONNECTIONS false"
    ))
    .execute(&mut admin)
    .unwrap_or_else(|e| panic!("cannot close template database {own}: {e}"));
    own
}

/// Drops a leftover database, warning instead of failing (another run may
/// be dropping it too).
fn drop_database(admin: &mut PgConnection, name: &str) {
    if let Err(error) =
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(admin)
    {
        eprintln!("warning: leftover database {name} was not dropped: {error}");
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
    fn migrated_databases_hold_the_schema_and_are_separate() {
        let (a, b) = (TestDb::migrated(), TestDb::migrated());
        let mut conn = PgConnection::establish(a.url()).expect("connect");
        assert!(
            !conn
                .has_pending_migration(MIGRATIONS)
                .expect("read the migrations table"),
            "every migration applied"
        );
        diesel::sql_query("INSERT INTO orgs (name, created_at) VALUES ('only in a', now())")
            .execute(&mut conn)
            .expect("the schema is there");
        let mut other = PgConnection::establish(b.url()).expect("connect");
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Count = diesel::sql_query("SELECT count(*) AS n FROM orgs")
            .get_result(&mut other)
            .expect("count");
        assert_eq!(rows.n, 0);
    }

    #[test]
    #[should_panic(expected = "cannot be reached at postgres://u:***@127.0.0.1:1/db")]
    fn unreachable_server_panics_naming_it() {
        connect("postgres://u:pw@127.0.0.1:1/db?connect_timeout=2");
    }
}
