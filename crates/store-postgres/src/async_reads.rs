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
//! Connections are opened on demand, at most `per_thread` per thread and
//! store, kept while they work, and dropped on any error (the next read
//! opens a new one). Waiting for one, opening one and the query itself
//! are each bounded by the pool's connection timeout; running out of it
//! is [`RepoError::Unavailable`], as on the blocking path.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use thunderphone_domain::{PhoneNumber, PhoneNumberId};
use thunderphone_ports::{Authenticated, RepoError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
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
}

/// One open connection and its prepared statement.
struct Conn {
    client: Client,
    find_for_key: Statement,
}

/// A thread's connections to one store.
struct ThreadSet {
    idle: Vec<Conn>,
    permits: Arc<Semaphore>,
}

thread_local! {
    static SETS: RefCell<HashMap<u64, ThreadSet>> = RefCell::new(HashMap::new());
}

impl AsyncReads {
    /// `None` when tokio-postgres cannot read `url` (libpq accepts more
    /// forms): the store then reads on the blocking path.
    pub(crate) fn new(url: &str, per_thread: usize, timeout: Duration) -> Option<Self> {
        let mut config: Config = url.parse().ok()?;
        // Tells these connections apart in `pg_stat_activity`.
        config.application_name(READ_CONNECTIONS);
        Some(Self {
            config,
            store: NEXT_STORE.fetch_add(1, Ordering::Relaxed),
            per_thread: per_thread.max(1),
            timeout,
        })
    }

    /// `read::find_for_key`, asynchronously.
    pub(crate) async fn find_for_key(
        &self,
        key_hash: &str,
        id: PhoneNumberId,
    ) -> Result<Option<Authenticated<Option<PhoneNumber>>>, RepoError> {
        let (conn, _permit) = self.checkout().await?;
        let raw_id = id.get();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&key_hash, &raw_id];
        let row = self
            .bounded("read", conn.client.query_opt(&conn.find_for_key, &params))
            .await?;
        self.checkin(conn);
        row.map(|row| decode(&row)).transpose()
    }

    /// An idle connection of this thread, or a new one, with a permit that
    /// counts it against `per_thread`.
    async fn checkout(&self) -> Result<(Conn, OwnedSemaphorePermit), RepoError> {
        let permits = SETS.with_borrow_mut(|sets| {
            sets.entry(self.store)
                .or_insert_with(|| ThreadSet {
                    idle: Vec::new(),
                    permits: Arc::new(Semaphore::new(self.per_thread)),
                })
                .permits
                .clone()
        });
        let permit = tokio::time::timeout(self.timeout, permits.acquire_owned())
            .await
            .map_err(|_| unavailable("timed out waiting for a read connection"))?
            .map_err(|_| unavailable("read connections closed"))?;
        loop {
            let idle = SETS
                .with_borrow_mut(|sets| sets.get_mut(&self.store).and_then(|set| set.idle.pop()));
            match idle {
                Some(conn) if conn.client.is_closed() => {}
                Some(conn) => return Ok((conn, permit)),
                None => return Ok((self.connect().await?, permit)),
            }
        }
    }

    /// Keeps a connection that worked for this thread's next read.
    fn checkin(&self, conn: Conn) {
        if conn.client.is_closed() {
            return;
        }
        SETS.with_borrow_mut(|sets| {
            if let Some(set) = sets.get_mut(&self.store) {
                set.idle.push(conn);
            }
        });
    }

    async fn connect(&self) -> Result<Conn, RepoError> {
        let (client, connection) = self.bounded("connect", self.config.connect(NoTls)).await?;
        // The connection's I/O runs on this thread's runtime; it ends when
        // the client is dropped or the server goes away.
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "read connection closed");
            }
        });
        let find_for_key = self
            .bounded("prepare", client.prepare(FIND_FOR_KEY))
            .await?;
        Ok(Conn {
            client,
            find_for_key,
        })
    }

    /// Runs `work` within the timeout; a timeout or a driver error is
    /// `Unavailable` when the connection is at fault, else `Unexpected`.
    async fn bounded<T>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, RepoError> {
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err(unavailable(&format!("{what}: timed out"))),
            Ok(Err(error)) if connection_failed(&error) => {
                Err(unavailable(&format!("{what}: {}", describe(&error))))
            }
            Ok(Err(error)) => Err(RepoError::Unexpected(format!(
                "{what}: {}",
                describe(&error)
            ))),
            Ok(Ok(value)) => Ok(value),
        }
    }
}

/// Whether an error is the connection's or the server's state rather than
/// the statement's: no server error at all (I/O, a closed connection), or
/// one of the SQLSTATE classes of a lost or refused connection — 08
/// (connection exception), 53 (insufficient resources: too many
/// connections), 57 (operator intervention: a terminated backend, a
/// shutdown, a server still starting).
fn connection_failed(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_none_or(|db| {
        let class = db.code().code().get(..2);
        matches!(class, Some("08" | "53" | "57"))
    })
}

/// The driver's message, with the server's own when there is one
/// (`Display` of a server error says only "db error").
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
