//! The hottest read — `GET /v1/phone-numbers/{id}`, authentication
//! included — on asynchronous connections that stay on the thread that
//! uses them.
//!
//! Every other call runs Diesel on a blocking thread with a pooled
//! connection (`lib.rs`). For a read that costs PostgreSQL ~100 µs,
//! handing it to a blocking thread and back, and sleeping in libpq there,
//! was most of the service's own CPU (PERFORMANCE.md). Here the statement
//! runs on tokio-postgres: each thread that serves reads (each HTTP worker
//! runs its own single-threaded runtime) keeps its own few connections,
//! whose I/O task runs on that same thread, so a read is a socket write
//! and an epoll wake-up where the request already is.
//!
//! Connections are opened on demand, at most `per_thread` in use per
//! thread and store, kept while they work, and dropped on any error. A
//! kept connection that turns out dead is replaced and the read tried
//! once more (it is a read). The whole read is bounded by the pool's
//! connection timeout, and each statement by `statement_timeout` on the
//! server, so a read given up on does not keep running there. Running out
//! of time, or a lost connection, is [`RepoError::Unavailable`], as on
//! the blocking path.
//!
//! These connections do not use TLS, so they are only used where libpq
//! would not either, or where it could not matter: `sslmode=disable`, or
//! the default `prefer` to a loopback address or a Unix socket. Anywhere
//! else the read stays on the blocking path. So does it, from then on,
//! when the server refuses these connections' credentials (libpq may have
//! found a password in `PGPASSWORD` or `.pgpass`, which this driver does
//! not read).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use thunderphone_domain::{PhoneNumber, PhoneNumberId};
use thunderphone_ports::{Authenticated, RepoError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use crate::rows::NumberRow;
use crate::tenancy::principal;

/// The key joined with its membership, left-joined with the number: the
/// statement of `read::find_for_key`, in SQL.
const FIND_FOR_KEY: &str = "\
    SELECT k.id, k.user_id, k.org_id, m.role, \
           p.id, p.org_id, p.number, p.source, p.status, p.inbound_agent_id, \
           p.outbound_agent_id, p.voip_connection_id, p.voip_verification_status, \
           p.voip_last_verified_at, p.status_reason, p.version, p.created_at, p.updated_at \
    FROM api_keys k \
    JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id \
    LEFT JOIN phone_numbers p \
        ON p.id = $2 AND p.org_id = k.org_id AND p.deleted_at IS NULL \
    WHERE k.key_hash = $1 AND k.revoked_at IS NULL \
    LIMIT 1";

/// The `application_name` of the read connections.
pub const READ_CONNECTIONS: &str = "thunderphone-reads";

/// Tells stores apart in the per-thread tables (a process may hold
/// several, e.g. tests).
static NEXT_STORE: AtomicU64 = AtomicU64::new(1);

/// The reads of one store on per-thread asynchronous connections.
pub(crate) struct AsyncReads {
    config: Config,
    store: u64,
    per_thread: usize,
    timeout: Duration,
    /// Set for good when the server refuses these connections' login.
    refused: AtomicBool,
}

/// One open connection and its prepared statement.
struct Conn {
    client: Client,
    find_for_key: Statement,
}

/// A thread's connections to one store. Shared (`Arc`) so that a read
/// that resumes on another thread (multi-threaded runtimes) returns its
/// connection, and its permit, to the set it took them from.
struct ThreadSet {
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
}

impl ThreadSet {
    fn pop(&self) -> Option<Conn> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn push(&self, conn: Conn) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

thread_local! {
    static SETS: RefCell<HashMap<u64, Arc<ThreadSet>>> = RefCell::new(HashMap::new());
}

/// How a read attempt failed.
enum Failed {
    /// The connection is at fault (lost, refused, timed out).
    Connection(String),
    /// The server refused the login: use the blocking path.
    Refused(String),
    /// The statement or its row.
    Other(RepoError),
}

impl AsyncReads {
    /// `None` where these connections should not be used (see the module
    /// documentation) or tokio-postgres cannot read `url`: the store then
    /// reads on the blocking path.
    pub(crate) fn new(url: &str, per_thread: usize, timeout: Duration) -> Option<Self> {
        let mut config: Config = url.parse().ok()?;
        if !without_tls(&config) || std::env::var_os("PGSSLMODE").is_some() {
            return None;
        }
        // Tells these connections apart in `pg_stat_activity`.
        config.application_name(READ_CONNECTIONS);
        let limit = format!("-c statement_timeout={}", timeout.as_millis().max(1));
        let options = match config.get_options() {
            Some(given) => format!("{given} {limit}"),
            None => limit,
        };
        config.options(options);
        Some(Self {
            config,
            store: NEXT_STORE.fetch_add(1, Ordering::Relaxed),
            per_thread: per_thread.max(1),
            timeout,
            refused: AtomicBool::new(false),
        })
    }

    /// `read::find_for_key`, asynchronously; `None` when the read must go
    /// the blocking way (the server refused these connections).
    pub(crate) async fn find_for_key(
        &self,
        key_hash: &str,
        id: PhoneNumberId,
    ) -> Option<Result<Option<Authenticated<Option<PhoneNumber>>>, RepoError>> {
        if self.refused.load(Ordering::Relaxed) {
            return None;
        }
        let read = tokio::time::timeout(self.timeout, self.read(key_hash, id)).await;
        match read {
            Err(_) => Some(Err(unavailable("timed out"))),
            Ok(Ok(found)) => Some(found.map(|row| decode(&row)).transpose()),
            Ok(Err(Failed::Connection(why))) => Some(Err(unavailable(&why))),
            Ok(Err(Failed::Other(error))) => Some(Err(error)),
            Ok(Err(Failed::Refused(why))) => {
                if !self.refused.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        error = %why,
                        "the database refused the read connections' login; reading on the pool from now on"
                    );
                }
                None
            }
        }
    }

    /// One read, tried again once on a new connection when a kept one
    /// turns out dead.
    async fn read(&self, key_hash: &str, id: PhoneNumberId) -> Result<Option<Row>, Failed> {
        let set = self.thread_set();
        let _permit: OwnedSemaphorePermit = set
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Failed::Connection("read connections closed".into()))?;
        let raw_id = id.get();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&key_hash, &raw_id];
        let mut kept = set.pop();
        loop {
            let reused = kept.is_some();
            let conn = match kept.take() {
                Some(conn) if !conn.client.is_closed() => conn,
                Some(_) | None => self.connect().await?,
            };
            match conn.client.query_opt(&conn.find_for_key, &params).await {
                Ok(row) => {
                    set.push(conn);
                    return Ok(row);
                }
                Err(error) if lost(&error) && reused => {
                    tracing::debug!(error = %describe(&error), "kept read connection was dead");
                }
                Err(error) if lost(&error) => {
                    return Err(Failed::Connection(format!("read: {}", describe(&error))));
                }
                Err(error) => {
                    return Err(Failed::Other(RepoError::Unexpected(format!(
                        "read: {}",
                        describe(&error)
                    ))));
                }
            }
        }
    }

    /// This thread's set for this store.
    fn thread_set(&self) -> Arc<ThreadSet> {
        SETS.with_borrow_mut(|sets| {
            sets.entry(self.store)
                .or_insert_with(|| {
                    Arc::new(ThreadSet {
                        idle: Mutex::new(Vec::new()),
                        permits: Arc::new(Semaphore::new(self.per_thread)),
                    })
                })
                .clone()
        })
    }

    async fn connect(&self) -> Result<Conn, Failed> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(|error| {
            let why = format!("connect: {}", describe(&error));
            match error.as_db_error().map(|db| db.code().code()) {
                // Invalid authorization: libpq may know better.
                Some(code) if code.starts_with("28") => Failed::Refused(why),
                _ => Failed::Connection(why),
            }
        })?;
        // The connection's I/O runs on this thread's runtime; it ends when
        // the client is dropped or the server goes away.
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %describe(&error), "read connection closed");
            }
        });
        let find_for_key = client.prepare(FIND_FOR_KEY).await.map_err(|error| {
            let why = format!("prepare: {}", describe(&error));
            if lost(&error) {
                Failed::Connection(why)
            } else {
                Failed::Other(RepoError::Unexpected(why))
            }
        })?;
        Ok(Conn {
            client,
            find_for_key,
        })
    }
}

/// Whether libpq would not use TLS for `config` either, or TLS could not
/// protect anything: `sslmode=disable`, or `prefer` (the default) with
/// every host on this machine.
fn without_tls(config: &Config) -> bool {
    let local = |host: &Host| match host {
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    };
    let hosts = config.get_hosts();
    match config.get_ssl_mode() {
        SslMode::Disable => !hosts.is_empty(),
        SslMode::Prefer => !hosts.is_empty() && hosts.iter().all(local),
        _ => false,
    }
}

/// Whether an error means the connection is gone or unusable rather than
/// the statement failed: no server error at all (I/O, a closed
/// connection), or one of the SQLSTATE classes of a lost or refused
/// connection — 08 (connection exception), 53 (insufficient resources),
/// 57 (operator intervention: a terminated backend, a shutdown, a
/// statement timeout).
fn lost(error: &tokio_postgres::Error) -> bool {
    error.is_closed()
        || error.as_db_error().map_or_else(
            || std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>()),
            |db| matches!(db.code().code().get(..2), Some("08" | "53" | "57")),
        )
}

/// The driver's message, with the server's own when there is one
/// (`Display` of a server error says only "db error"). Never the
/// parameters or the URL.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}

fn unavailable(why: &str) -> RepoError {
    RepoError::Unavailable(format!("database: {why}"))
}

/// Decodes a row of [`FIND_FOR_KEY`] as the blocking path does.
fn decode(row: &Row) -> Result<Authenticated<Option<PhoneNumber>>, RepoError> {
    let columns = || -> Result<_, tokio_postgres::Error> {
        let key = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        let number = match row.try_get::<_, Option<i64>>(4)? {
            None => None,
            Some(id) => Some(NumberRow {
                id,
                org_id: row.try_get(5)?,
                number: row.try_get(6)?,
                source: row.try_get(7)?,
                status: row.try_get(8)?,
                inbound_agent_id: row.try_get(9)?,
                outbound_agent_id: row.try_get(10)?,
                voip_connection_id: row.try_get(11)?,
                voip_verification_status: row.try_get(12)?,
                voip_last_verified_at: row.try_get(13)?,
                status_reason: row.try_get(14)?,
                version: row.try_get(15)?,
                created_at: row.try_get(16)?,
                updated_at: row.try_get(17)?,
            }),
        };
        Ok((key, number))
    };
    let (key, number) = columns().map_err(|e| RepoError::Unexpected(format!("read row: {e}")))?;
    Ok(Authenticated {
        principal: principal(key).map_err(crate::error::Failure::into_repo)?,
        value: number
            .map(NumberRow::into_domain)
            .transpose()
            .map_err(crate::error::Failure::into_repo)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        url.parse().unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    /// TLS is never given up where libpq would use it to reach another
    /// machine.
    #[test]
    fn used_only_where_tls_would_not_be() {
        for url in [
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u@localhost/db",
            "postgres://u@[::1]:5432/db",
            "postgres://u@db.example.com/db?sslmode=disable",
            "host=/var/run/postgresql dbname=db",
        ] {
            assert!(without_tls(&config(url)), "{url}");
        }
        for url in [
            "postgres://u@db.example.com/db",
            "postgres://u@10.0.0.5/db?sslmode=prefer",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@127.0.0.1,db.example.com/db",
        ] {
            assert!(!without_tls(&config(url)), "{url}");
        }
    }
}
