//! Error policy: every use case returns [`AppError`], whose variants are the
//! error codes of API.md §10. Provider and vault errors are translated
//! here, once. Store errors are translated where the store is called,
//! since only the caller knows what a `NotFound` means there
//! ([`StoreResult`]). `Unexpected` keeps its cause (with the cause's
//! sources) for the log and is never shown to clients.

use thunderphone_domain::{E164, TransitionError, Version};
use thunderphone_ports::{ProviderError, Reference, RepoError, Unexpected, VaultError};

/// One invalid field of a request. It serializes as the `errors` items of
/// a problem document, so the HTTP layer sends it as it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field, e.g. `area_code` or `numbers[2]`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The errors in one line (`area_code must be …; city …`): the
    /// `detail` of a problem and the message of [`AppError::Validation`].
    pub fn summary(errors: &[FieldError]) -> String {
        errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Why a use case refused or failed. Each variant is one code of API.md §10.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// 401 `unauthorized`.
    #[error("missing, malformed, unknown or revoked API key")]
    Unauthorized,
    /// 403 `forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 422 `validation_failed`.
    #[error("{}", FieldError::summary(.0))]
    Validation(Vec<FieldError>),
    /// 422 `invalid_agent`.
    #[error("{}", FieldError::summary(.0))]
    InvalidAgent(Vec<FieldError>),
    /// 409 `invalid_status_transition`.
    #[error("{0}")]
    InvalidStatusTransition(String),
    /// 409 `no_numbers_available`.
    #[error("no free number matches the requested area code, city or state")]
    NoNumbersAvailable,
    /// 409 `number_taken`.
    #[error("already held: {}", list(.0))]
    NumberTaken(Vec<E164>),
    /// 409 `not_verifiable`.
    #[error("{0}")]
    NotVerifiable(String),
    /// 409 `agent_in_use`.
    #[error("the agent is assigned to a phone number; unassign it first")]
    AgentInUse,
    /// 412 `precondition_failed`.
    #[error("If-Match does not match the current version {current}")]
    PreconditionFailed {
        /// The current version, so the client can refetch.
        current: Version,
    },
    /// 422 `destination_not_allowed`: a webhook URL this server would
    /// never call; the message says why and is safe to show.
    #[error("{0}")]
    DestinationNotAllowed(String),
    /// 409 `limit_reached`: the org holds as many of these as it may.
    #[error("{0}")]
    LimitReached(String),
    /// 503 `unavailable`: nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// 503 `unavailable` with `Retry-After`: this instance already has as
    /// much work of this kind in flight as it allows; the message is safe
    /// to show.
    #[error("{0}")]
    Busy(String),
    /// 503 `unavailable`: the server lacks configuration this request
    /// needs; the message is safe to show and tells what is missing.
    #[error("{0}")]
    NotConfigured(String),
    /// 500: a bug or an unexpected store state. Logged, never shown.
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

fn list(numbers: &[E164]) -> String {
    numbers
        .iter()
        .map(E164::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

impl AppError {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }
}

impl AppError {
    /// A store error of a call whose contract has no `NotFound`: the
    /// variants every caller maps alike. A `NotFound` here breaks the
    /// store's contract, so it is `Unexpected`, not a guessed 404.
    pub(crate) fn store(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => AppError::Unexpected(Unexpected::msg(
                "the store answered `not found` to a call that has no such answer",
            )),
            RepoError::VersionConflict { current } => AppError::PreconditionFailed { current },
            RepoError::NumbersTaken(numbers) => AppError::NumberTaken(numbers),
            RepoError::InvalidReference(reference) => reference_error(reference),
            RepoError::AgentInUse => AppError::AgentInUse,
            RepoError::Duplicate(what) => AppError::invalid(what, "is already registered"),
            RepoError::Unavailable(cause) => {
                AppError::Unavailable(format!("the database cannot be reached: {cause}"))
            }
            RepoError::Unexpected(cause) => AppError::Unexpected(cause),
        }
    }
}

/// Maps a store call's result where the store is called.
pub(crate) trait StoreResult<T> {
    /// For a call whose `NotFound` means that `what` does not exist (in
    /// the caller's org); every other error as [`AppError::store`].
    fn not_found_as(self, what: &'static str) -> Result<T, AppError>;
}

impl<T> StoreResult<T> for Result<T, RepoError> {
    fn not_found_as(self, what: &'static str) -> Result<T, AppError> {
        self.map_err(|error| match error {
            RepoError::NotFound => AppError::NotFound(what),
            other => AppError::store(other),
        })
    }
}

/// The error of a write whose referenced record is missing, on the field
/// of the request that named it.
pub(crate) fn reference_error(reference: Reference) -> AppError {
    let missing = "does not exist in this org";
    match reference {
        Reference::InboundAgent(_) => {
            AppError::InvalidAgent(vec![FieldError::new("inbound_agent_id", missing)])
        }
        Reference::OutboundAgent(_) => {
            AppError::InvalidAgent(vec![FieldError::new("outbound_agent_id", missing)])
        }
        Reference::VoipConnection(_) => AppError::invalid("voip_connection_id", missing),
        Reference::Org(_) => AppError::invalid("org_id", "does not exist"),
        Reference::User(_) => AppError::invalid("user_id", "does not exist"),
        Reference::Membership => AppError::invalid(
            "user_id",
            "is not a member of the org; add a membership first",
        ),
    }
}

impl From<TransitionError> for AppError {
    fn from(error: TransitionError) -> Self {
        match &error {
            TransitionError::InvalidStatus { .. } | TransitionError::NotAllowedInStatus { .. } => {
                AppError::InvalidStatusTransition(error.to_string())
            }
            TransitionError::NotVerifiable(why) => AppError::NotVerifiable((*why).to_owned()),
            TransitionError::SameOrg => AppError::invalid("target_org_id", error.to_string()),
            TransitionError::ConnectionRequired | TransitionError::ConnectionNotApplicable => {
                AppError::invalid("target_voip_connection_id", error.to_string())
            }
        }
    }
}

impl From<VaultError> for AppError {
    fn from(error: VaultError) -> Self {
        match error {
            // A configuration problem of the server, not of the request:
            // nothing was stored; the operator must configure the key.
            VaultError::NoKey => AppError::NotConfigured(
                "this server cannot store VoIP credentials or webhook secrets: its operator has not configured THUNDERPHONE_SECRET_KEY".into(),
            ),
            other => AppError::Unavailable(other.to_string()),
        }
    }
}

impl From<ProviderError> for AppError {
    fn from(error: ProviderError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}
