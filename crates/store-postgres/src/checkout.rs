//! The pool's connection manager: Diesel's, plus a cheaper health check.
//!
//! Checking every connection with a round trip before each use (r2d2's
//! `test_on_check_out` with Diesel's manager) costs a `SELECT 1` per store
//! call. Instead, like HikariCP's "alive bypass window", a connection
//! that was returned healthy less than [`TRUSTED_FOR`] ago is used without
//! a check; one idle for longer is pinged first and replaced if dead. A
//! call that finds its connection lost marks it broken (it is closed, not
//! pooled again) and makes the pool distrust every connection returned
//! before that moment, so after a database restart at most the calls
//! that were already using a dead connection fail, and the next ones get
//! checked or fresh connections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Error, ManageConnection};

/// How long a connection returned healthy is used without a check.
pub(crate) const TRUSTED_FOR: Duration = Duration::from_millis(500);

/// A pooled connection and what the manager knows about it.
pub(crate) struct Checked {
    /// The connection itself.
    pub(crate) conn: PgConnection,
    /// Set by the store when a call found the connection lost.
    pub(crate) lost: bool,
    /// When it was last returned to the pool (or opened).
    returned_at: Instant,
    /// The manager's [`Manager::losses`] at that moment.
    losses_seen: u64,
}

/// Diesel's connection manager with the check described above.
pub(crate) struct Manager {
    inner: ConnectionManager<PgConnection>,
    /// Set on every new connection.
    statement_timeout: Duration,
    /// Connections found lost so far; a change distrusts every idle one.
    losses: AtomicU64,
}

impl Manager {
    /// A manager for the database at `url`; every connection it opens has
    /// `statement_timeout` set.
    pub(crate) fn new(url: &str, statement_timeout: Duration) -> Self {
        Self {
            inner: ConnectionManager::new(url),
            statement_timeout,
            losses: AtomicU64::new(0),
        }
    }

    fn lost_one(&self) {
        self.losses.fetch_add(1, Ordering::AcqRel);
    }
}

/// Sets the session's `statement_timeout` (whole milliseconds, at least 1).
pub(crate) fn set_statement_timeout(
    conn: &mut PgConnection,
    timeout: Duration,
) -> Result<(), diesel::result::Error> {
    let millis = timeout.as_millis().max(1);
    diesel::sql_query(format!("SET statement_timeout = {millis}"))
        .execute(conn)
        .map(|_| ())
}

impl ManageConnection for Manager {
    type Connection = Checked;
    type Error = Error;

    fn connect(&self) -> Result<Checked, Error> {
        let mut conn = self.inner.connect()?;
        set_statement_timeout(&mut conn, self.statement_timeout).map_err(Error::QueryError)?;
        Ok(Checked {
            conn,
            lost: false,
            returned_at: Instant::now(),
            losses_seen: self.losses.load(Ordering::Acquire),
        })
    }

    /// Called on checkout: a round trip only for a connection idle longer
    /// than [`TRUSTED_FOR`], or returned before a connection was lost.
    fn is_valid(&self, checked: &mut Checked) -> Result<(), Error> {
        let trusted = checked.returned_at.elapsed() < TRUSTED_FOR
            && checked.losses_seen == self.losses.load(Ordering::Acquire);
        if trusted {
            return Ok(());
        }
        self.inner.is_valid(&mut checked.conn).inspect_err(|_| {
            self.lost_one();
        })
    }

    /// Called when a connection is returned: broken when the store found it
    /// lost or Diesel's transaction manager gave up on it.
    fn has_broken(&self, checked: &mut Checked) -> bool {
        if checked.lost {
            self.lost_one();
        }
        let broken = checked.lost || self.inner.has_broken(&mut checked.conn);
        checked.returned_at = Instant::now();
        checked.losses_seen = self.losses.load(Ordering::Acquire);
        broken
    }
}
