use async_trait::async_trait;
use thunderphone_domain::E164;

use crate::ProviderError;

/// The upstream carrier behind ThunderPhone's pool. Which number to take is
/// decided by the store's pool (so two requests can never take the same
/// one); the provider makes the chosen number live and gives it back.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait NumberProvider: Send + Sync {
    /// Brings a reserved number into service. May take seconds; the caller
    /// bounds it with a timeout and retries.
    ///
    /// # Errors
    /// - [`ProviderError::Rejected`] when the provider refuses for good: the
    ///   number is then marked `failed`.
    /// - [`ProviderError::Unavailable`] for anything worth retrying
    ///   (unreachable, 429, 5xx).
    async fn activate(&self, number: &E164) -> Result<(), ProviderError>;

    /// Gives a number back to the provider after DELETE.
    ///
    /// # Errors
    /// As for [`NumberProvider::activate`]; the number has already left the
    /// org, so a failure is logged, not shown to the client.
    async fn release(&self, number: &E164) -> Result<(), ProviderError>;
}
