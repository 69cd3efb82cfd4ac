use crate::{ChangeKind, Status};

/// A value could not be parsed into a domain type. The message is written
/// for an API user: it says what a valid value looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A transition the state machine (API.md §3) refuses. Nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The requested status cannot be reached from the current one.
    #[error("cannot change status from {from} to {to}")]
    InvalidStatus {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// The change is not allowed in the number's current status.
    #[error("cannot record `{change}` while the number is {status}")]
    NotAllowedInStatus {
        /// What was attempted.
        change: ChangeKind,
        /// Current status.
        status: Status,
    },
    /// Only VoIP numbers linked to a connection can be verified.
    #[error("{0}")]
    NotVerifiable(&'static str),
    /// A transfer to the org that already holds the number.
    #[error("target_org_id is the org that already holds the number")]
    SameOrg,
    /// A VoIP number must be relinked to a connection of the target org.
    #[error("target_voip_connection_id is required to transfer a voip number")]
    ConnectionRequired,
    /// A demo number has no VoIP connection to relink.
    #[error("target_voip_connection_id only applies to voip numbers")]
    ConnectionNotApplicable,
}
