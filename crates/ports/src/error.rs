use thunderphone_domain::{E164, Version};

use crate::Unexpected;

/// A referenced record that does not exist in the org it must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// An inbound agent id.
    InboundAgent(i64),
    /// An outbound agent id.
    OutboundAgent(i64),
    /// A VoIP connection id.
    VoipConnection(i64),
    /// An org id.
    Org(i64),
    /// A user id.
    User(i64),
    /// A membership of a user in an org.
    Membership,
}

/// Errors every repository method may return. Stores translate their own
/// errors (driver, pool, constraint violations) into these at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// The record does not exist in the org the caller asked about.
    #[error("not found")]
    NotFound,
    /// A conditional write found a different version than expected.
    #[error("the number is at version {current}")]
    VersionConflict {
        /// The stored version.
        current: Version,
    },
    /// Numbers already held by a not-deleted phone number (of any org).
    #[error("numbers already held: {0:?}")]
    NumbersTaken(Vec<E164>),
    /// A referenced record does not exist (in the required org).
    #[error("referenced record does not exist: {0:?}")]
    InvalidReference(Reference),
    /// The agent is assigned to a phone number.
    #[error("the agent is assigned to a phone number")]
    AgentInUse,
    /// A unique value (such as a user's e-mail) exists already.
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// The store cannot be reached; nothing was changed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else, with its cause; logged, never shown to clients.
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl RepoError {
    /// An unexpected failure that is only a message (a broken invariant).
    pub fn unexpected(message: impl Into<String>) -> Self {
        RepoError::Unexpected(Unexpected::msg(message))
    }
}

/// Errors of the upstream number provider (carrier).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused for good (bad number, account problem):
    /// retrying will not help.
    #[error("provider refused: {0}")]
    Rejected(String),
    /// The provider could not be reached, timed out or asked to retry later.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}
