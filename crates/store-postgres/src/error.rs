//! Error policy: every Diesel, pool and row-decoding failure is translated
//! into the port's [`RepoError`] here, at the edge, and nowhere else.
//!
//! - Failing to get a connection (pool timeout, connection refused, bad
//!   credentials) and a connection lost mid-query are
//!   [`RepoError::Unavailable`]: the transaction did not commit, so nothing
//!   was changed.
//! - Constraint violations the contract names (a held number, a duplicate
//!   e-mail, a missing reference) are found by explicit checks inside the
//!   same transaction where the error must name a value; the constraint is
//!   the backstop, mapped by its name where the caller knows what it means
//!   ([`Failure::constraint`]).
//! - Anything else is [`RepoError::Unexpected`], the driver's error its cause.
//!   Messages never carry row values, so credentials and key hashes cannot
//!   leak through them.

use diesel::r2d2::PoolError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use thunderphone_ports::{RepoError, Unexpected};

/// A failure inside a blocking store call: either already a port error, or
/// a driver error still to be translated.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A decided outcome (`NotFound`, `VersionConflict`, …).
    Repo(RepoError),
    /// A Diesel error, translated by [`Failure::into_repo`].
    Db(DieselError),
}

impl From<DieselError> for Failure {
    fn from(error: DieselError) -> Self {
        Failure::Db(error)
    }
}

impl From<RepoError> for Failure {
    fn from(error: RepoError) -> Self {
        Failure::Repo(error)
    }
}

impl Failure {
    /// The constraint (or unique index) a unique violation names.
    pub(crate) fn unique_violation(&self) -> Option<&str> {
        self.violation(|kind| matches!(kind, DatabaseErrorKind::UniqueViolation))
    }

    /// The constraint a foreign-key violation names.
    pub(crate) fn foreign_key_violation(&self) -> Option<&str> {
        self.violation(|kind| matches!(kind, DatabaseErrorKind::ForeignKeyViolation))
    }

    /// Whether the connection itself failed (closed, or the query could
    /// not be sent): it must not be used again.
    pub(crate) fn connection_lost(&self) -> bool {
        matches!(
            self,
            Failure::Db(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _
            ))
        )
    }

    fn violation(&self, wanted: impl Fn(&DatabaseErrorKind) -> bool) -> Option<&str> {
        match self {
            Failure::Db(DieselError::DatabaseError(kind, info)) if wanted(kind) => {
                info.constraint_name()
            }
            _ => None,
        }
    }

    /// Translates into the port's error.
    pub(crate) fn into_repo(self) -> RepoError {
        match self {
            Failure::Repo(error) => error,
            Failure::Db(error) => db_error(error),
        }
    }
}

/// A row that does not decode into a domain value: the database holds
/// something the schema's checks should have refused.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Failure {
    Failure::Repo(RepoError::unexpected(format!(
        "stored {what} is invalid: {detail}"
    )))
}

/// Translates a Diesel error.
pub(crate) fn db_error(error: DieselError) -> RepoError {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            RepoError::Unavailable(format!("connection lost: {}", info.message()))
        }
        DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
            RepoError::Unavailable(format!("cannot send the query: {}", info.message()))
        }
        // SQLSTATE 57014, which Diesel does not expose: a statement ran
        // into `statement_timeout` (the database is overloaded or blocked),
        // so nothing was changed and the caller may retry. Told by its
        // message, which assumes the server's `lc_messages` is English
        // (docs/POSTGRES.md); otherwise it stays a 500, logged.
        DieselError::DatabaseError(_, info) if is_statement_timeout(info.message()) => {
            RepoError::Unavailable("the database did not finish a statement in time".into())
        }
        DieselError::DatabaseError(kind, info) => {
            let constraint = info
                .constraint_name()
                .map(|name| format!(" (constraint {name})"))
                .unwrap_or_default();
            let what = format!("database error {kind:?}{constraint}");
            Unexpected::context(what, DieselError::DatabaseError(kind, info)).into()
        }
        other => Unexpected::new(other).into(),
    }
}

/// True for PostgreSQL's message of a statement cancelled by
/// `statement_timeout`.
fn is_statement_timeout(message: &str) -> bool {
    message.starts_with("canceling statement due to statement timeout")
}

/// A connection could not be had from the pool within its timeout: the
/// database is down, unreachable, refusing us, or every connection is busy.
pub(crate) fn pool_error(error: PoolError) -> RepoError {
    RepoError::Unavailable(format!("no database connection: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decided_errors_pass_through() {
        let failure = Failure::from(RepoError::NotFound);
        assert_eq!(failure.into_repo(), RepoError::NotFound);
    }

    #[test]
    fn other_driver_errors_are_unexpected() {
        let failure = Failure::from(DieselError::NotFound);
        assert!(matches!(failure.into_repo(), RepoError::Unexpected(_)));
        let rollback = Failure::from(DieselError::RollbackTransaction);
        assert!(rollback.unique_violation().is_none());
        assert!(rollback.foreign_key_violation().is_none());
    }
}
