use async_trait::async_trait;
use thunderphone_domain::{E164, VoipConnection, VoipCredentials};

/// One named check of a VoIP verification (API.md §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// `credentials`, `number_in_account`, `inbound_routing` or
    /// `outbound_trunking`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found; for a failure, what the customer should fix.
    pub detail: String,
}

impl CheckOutcome {
    /// A passed check.
    pub fn passed(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            passed: true,
            detail: detail.into(),
        }
    }

    /// A failed check.
    pub fn failed(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            passed: false,
            detail: detail.into(),
        }
    }
}

/// Checks a number end to end through a customer's VoIP connection.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait VoipVerifier: Send + Sync {
    /// Runs every check and reports each outcome. Infallible by design:
    /// network errors, timeouts and refusals are failed checks whose
    /// `detail` says what went wrong. The caller bounds the whole run in
    /// time; a verifier should bound each network step itself too.
    async fn verify(
        &self,
        connection: &VoipConnection,
        credentials: &VoipCredentials,
        number: &E164,
    ) -> Vec<CheckOutcome>;
}
