use async_trait::async_trait;
use thunderphone_domain::{CheckOutcome, E164, VoipConnection, VoipCredentials};

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
