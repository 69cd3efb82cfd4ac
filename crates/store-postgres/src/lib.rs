//! The PostgreSQL store: every repository port of `thunderphone-ports`
//! (numbers, agents, VoIP connections, tenancy, events, webhooks), the
//! activation queue and [`StoreHealth`], on Diesel 2 with an r2d2 connection pool. It passes the
//! shared contract suite (`thunderphone-store-contract`), so it keeps the
//! same promises as the in-memory store.
//!
//! - **Blocking made safe.** Diesel is blocking: every method runs its work
//!   on tokio's blocking pool (`spawn_blocking`), takes the pooled
//!   connection inside that closure (never holding one across an
//!   `.await`), and carries the caller's tracing span.
//! - **Atomicity.** Each change is written with its version snapshot, its
//!   events and their webhook deliveries in one transaction; reference checks and conditional updates happen inside
//!   that same transaction. See `docs/POSTGRES.md`.
//! - **Errors** are translated into [`RepoError`] at the edge (`error.rs`).
//! - **Schema.** `migrations/` at the workspace root, embedded in the
//!   binary ([`MIGRATIONS`]); run them with [`PgStore::run_migrations`].

mod agents;
mod batch;
mod checkout;
mod connections;
mod conninfo;
mod error;
mod events;
mod health;
mod idempotency;
mod jobs;
mod numbers;
mod page;
mod prepared;
mod rows;
mod schema;
mod sessions;
mod tenancy;
mod tenancy_lists;
mod webhooks;

use std::any::Any;
use std::fmt;
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{HandleError, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
#[cfg(doc)]
use thunderphone_ports::StoreHealth;
use thunderphone_ports::{RepoError, Unexpected};

use crate::batch::{BatchLimits, Batcher};
use crate::checkout::Manager;
use crate::error::{Failure, pool_error};
use crate::numbers::{KeyedFind, KeyedRead, SeededCodes, find_for_keys};
use crate::webhooks::DeliverySignal;

/// Every migration under the workspace's `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Key of the session advisory lock held while migrating, so two
/// processes starting together do not migrate at once.
const MIGRATION_LOCK: i64 = 0x0074_6875_6e64_6572; // "thunder" in ASCII

/// How the connection pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections open at once (at least 1). Connections are opened
    /// on demand and closed after 10 idle minutes.
    pub max_size: u32,
    /// How long a call waits for a connection (a free one, or a new one
    /// being opened) before failing with [`RepoError::Unavailable`]. Must be
    /// positive.
    pub connection_timeout: Duration,
    /// Bound on every statement, enforced by PostgreSQL
    /// (`statement_timeout`). Together with `connection_timeout` it also
    /// bounds a whole call on our side, so a database that stops
    /// answering (even one that keeps the socket open) costs a caller at
    /// most their sum plus a second, never a hang. Must be positive.
    pub statement_timeout: Duration,
}

impl Default for PoolOptions {
    /// 10 connections, 5 seconds to get one, 5 seconds per statement.
    fn default() -> Self {
        Self {
            max_size: 10,
            connection_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// Added to a call's bound beyond its connection and statement timeouts:
/// room for the round trips around the statements.
const CALL_GRACE: Duration = Duration::from_secs(1);

/// The PostgreSQL store. Cheap to share behind an `Arc`; all methods take
/// `&self`.
pub struct PgStore {
    pool: Pool<Manager>,
    max_size: u32,
    /// The longest a caller waits for one call (see
    /// [`PoolOptions::statement_timeout`]).
    call_bound: Duration,
    /// What every connection's `statement_timeout` is set to.
    statement_timeout: Duration,
    /// Area codes whose demo-pool rows exist, as far as this process knows.
    seeded: SeededCodes,
    /// Held while creating demo-pool rows, so a burst seeds once.
    seeding: tokio::sync::Mutex<()>,
    /// `find_number_for_key` calls, answered together when they overlap.
    keyed_reads: Batcher<KeyedRead, KeyedFind>,
    /// Wakes delivery workers when deliveries are committed (by any
    /// instance: `LISTEN` on a connection of its own).
    deliveries: DeliverySignal,
    /// Kept alive as long as the store, dropped after the pool (fields drop
    /// in declaration order): e.g. a test database to drop with the store.
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl PgStore {
    /// A store on the database at `url` (a libpq URL or key=value string).
    ///
    /// Opens no connection yet: an unreachable database is not an error
    /// here, but every call then fails with [`RepoError::Unavailable`] after
    /// `connection_timeout`. Use [`StoreHealth::ping`] or
    /// [`PgStore::run_migrations`] to find out at start-up.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] when `max_size` is 0 or
    /// `connection_timeout` is zero.
    pub fn connect(url: &str, options: PoolOptions) -> Result<Self, RepoError> {
        if options.max_size == 0 {
            return Err(RepoError::unexpected("pool max_size must be at least 1"));
        }
        if options.connection_timeout.is_zero() {
            return Err(RepoError::unexpected(
                "pool connection_timeout must be positive",
            ));
        }
        if options.statement_timeout.is_zero() {
            return Err(RepoError::unexpected("statement_timeout must be positive"));
        }
        let pool = Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            // `Manager::is_valid` decides whether a checkout costs a ping.
            .test_on_check_out(true)
            .error_handler(Box::new(TracingErrorHandler))
            .build_unchecked(Manager::new(
                &conninfo::with_timeouts(url, &options),
                options.statement_timeout,
            ));
        let keyed_reads = {
            let pool = pool.clone();
            Batcher::new(keyed_read_limits(options.max_size), move |reads| {
                let _entered = tracing::debug_span!(
                    "postgres",
                    op = "find_number_for_key",
                    batch = reads.len()
                )
                .entered();
                with_connection(&pool, |conn| find_for_keys(conn, reads))
            })
        };
        Ok(Self {
            pool,
            max_size: options.max_size,
            call_bound: options.connection_timeout + options.statement_timeout + CALL_GRACE,
            statement_timeout: options.statement_timeout,
            seeded: SeededCodes::default(),
            seeding: tokio::sync::Mutex::new(()),
            keyed_reads,
            deliveries: DeliverySignal::new(url),
            guard: None,
        })
    }

    /// Keeps `guard` alive as long as the store and drops it after the
    /// pool is closed: tests hand over the database the store uses, so it
    /// is dropped once nothing is connected to it any more.
    #[must_use]
    pub fn with_guard(mut self, guard: impl Any + Send + Sync) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }

    /// Applies every pending migration of [`MIGRATIONS`], each in its own
    /// transaction, under an advisory lock so concurrent starts take turns.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when the database cannot be reached;
    /// [`RepoError::Unexpected`] when a migration fails.
    pub async fn run_migrations(&self) -> Result<(), RepoError> {
        self.seeded.clear();
        let statement_timeout = self.statement_timeout;
        self.run_within("run_migrations", None, move |conn| {
            with_migration_lock(conn, statement_timeout, |conn| {
                conn.run_pending_migrations(MIGRATIONS)
                    .map(|applied| {
                        tracing::info!(applied = applied.len(), "database migrations applied");
                    })
                    .map_err(|e| RepoError::from(Unexpected::context("migration failed", e)).into())
            })
        })
        .await
    }

    /// Reverts every applied migration, newest first: drops all of the
    /// store's tables **and their data**. For tests of the migrations and
    /// for operators tearing a database down; never called by the service.
    ///
    /// # Errors
    /// As for [`PgStore::run_migrations`].
    pub async fn revert_all_migrations(&self) -> Result<(), RepoError> {
        self.seeded.clear();
        let statement_timeout = self.statement_timeout;
        self.run_within("revert_all_migrations", None, move |conn| {
            with_migration_lock(conn, statement_timeout, |conn| {
                conn.revert_all_migrations(MIGRATIONS)
                    .map(|reverted| {
                        tracing::info!(reverted = reverted.len(), "database migrations reverted");
                    })
                    .map_err(|e| RepoError::from(Unexpected::context("revert failed", e)).into())
            })
        })
        .await
    }

    /// Runs `work` with a pooled connection on tokio's blocking pool, in a
    /// span (child of the caller's) naming the operation. The connection is
    /// taken inside the closure and returned to the pool when it ends.
    ///
    /// The caller waits at most the call bound of [`PoolOptions`]; past it
    /// the call is [`RepoError::Unavailable`] (its thread finishes or fails
    /// on its own, and whether a write landed is then unknown, as with any
    /// timeout).
    pub(crate) async fn run<T, F>(&self, op: &'static str, work: F) -> Result<T, RepoError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        self.run_within(op, Some(self.call_bound), work).await
    }

    /// [`PgStore::run`] with an explicit bound; `None` only for migrations,
    /// which may wait for another instance's and build indexes.
    async fn run_within<T, F>(
        &self,
        op: &'static str,
        bound: Option<Duration>,
        work: F,
    ) -> Result<T, RepoError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::debug_span!("postgres", op);
        let call = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            with_connection(&pool, work)
        });
        let joined = match bound {
            Some(bound) => self.bounded(op, bound, call).await?,
            None => call.await,
        };
        joined.map_err(|e| Unexpected::context(format!("store call {op} did not finish"), e))?
    }

    /// Waits for `call` at most `bound`.
    async fn bounded<T>(
        &self,
        op: &'static str,
        bound: Duration,
        call: impl std::future::Future<Output = T>,
    ) -> Result<T, RepoError> {
        tokio::time::timeout(bound, call).await.map_err(|_| {
            tracing::warn!(op, ?bound, "the database did not answer in time");
            RepoError::Unavailable(format!(
                "the database did not answer within {} s",
                bound.as_secs_f32()
            ))
        })
    }
}

/// Runs `work` with a connection from `pool`, on the calling (blocking)
/// thread, and gives the connection back, or closes it if `work` found it
/// lost.
fn with_connection<T>(
    pool: &Pool<Manager>,
    work: impl FnOnce(&mut PgConnection) -> Result<T, Failure>,
) -> Result<T, RepoError> {
    let mut checked = pool.get().map_err(pool_error)?;
    let outcome = work(&mut checked.conn);
    if outcome.as_ref().is_err_and(Failure::connection_lost) {
        // Closed instead of pooled again; see `checkout.rs`.
        checked.lost = true;
    }
    outcome.map_err(Failure::into_repo)
}

/// How keyed reads are batched with a pool of `max_size` connections.
///
/// Two runners: one batch can be in PostgreSQL while the other is being
/// decoded and answered; more would only split the same reads into
/// smaller statements, at more CPU per read (`docs/PERFORMANCE.md`).
/// Never more than half the pool (at least one connection), so other
/// calls keep connections. A batch is bounded so one statement stays
/// small.
fn keyed_read_limits(max_size: u32) -> BatchLimits {
    BatchLimits {
        max_batch: 64,
        max_runners: usize::try_from((max_size / 2).clamp(1, 2)).unwrap_or(1),
    }
}

/// Runs `work` holding the migration advisory lock, releasing it whatever
/// the outcome (it is held by the session, which goes back to the pool).
///
/// Migrations run without a statement timeout (waiting for the lock and
/// building an index may take longer); the session's timeout is put back
/// before the connection returns to the pool.
fn with_migration_lock<T>(
    conn: &mut PgConnection,
    statement_timeout: Duration,
    work: impl FnOnce(&mut PgConnection) -> Result<T, Failure>,
) -> Result<T, Failure> {
    diesel::sql_query("SET statement_timeout = 0").execute(conn)?;
    let outcome = diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::Int8, _>(MIGRATION_LOCK)
        .execute(conn)
        .map_err(Failure::from)
        .and_then(|_| {
            let outcome = work(conn);
            let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<diesel::sql_types::Int8, _>(MIGRATION_LOCK)
                .execute(conn);
            let value = outcome?;
            unlocked?;
            Ok(value)
        });
    let restored = checkout::set_statement_timeout(conn, statement_timeout);
    let value = outcome?;
    restored?;
    Ok(value)
}

/// Never prints the URL (it may hold a password): pool figures only.
impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pool.state();
        f.debug_struct("PgStore")
            .field("max_size", &self.max_size)
            .field("connections", &state.connections)
            .field("idle_connections", &state.idle_connections)
            .field("guarded", &self.guard.is_some())
            .finish()
    }
}

/// Reports failures to open pooled connections through `tracing`, which
/// the server's subscriber records (r2d2's default goes to `log`).
#[derive(Debug, Clone, Copy)]
struct TracingErrorHandler;

impl HandleError<diesel::r2d2::Error> for TracingErrorHandler {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(%error, "cannot open a database connection");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
