use async_trait::async_trait;

use crate::RepoError;

/// Whether the store can serve requests, for `/readyz`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// A cheap round trip to the store.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when it cannot be reached.
    async fn ping(&self) -> Result<(), RepoError>;
}
