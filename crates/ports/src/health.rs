use async_trait::async_trait;
use thunderphone_domain::{Source, Status, Timestamp};

use crate::RepoError;

/// Connection-pool usage of a store that has a pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Idle connections.
    pub idle: u32,
    /// Connections in use.
    pub in_use: u32,
    /// The pool's maximum size.
    pub max: u32,
}

/// Counts for `/metrics`, read in one go on each scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Not-deleted numbers by source and status.
    pub numbers: Vec<(Source, Status, u64)>,
    /// Not-deleted numbers of the demo-pool shape (`+1 NPA 555-01XX`),
    /// of any source: the pool's used part.
    pub held_pool_numbers: u64,
    /// Activation jobs due now and not leased.
    pub jobs_due: u64,
    /// Activation jobs leased by a worker.
    pub jobs_leased: u64,
    /// Activation jobs waiting for a retry.
    pub jobs_waiting: u64,
    /// Connection-pool usage, for stores with a pool.
    pub pool: Option<PoolUsage>,
}

/// Whether the store can serve requests, for `/readyz`, and what it holds,
/// for `/metrics`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// A cheap round trip to the store.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when it cannot be reached.
    async fn ping(&self) -> Result<(), RepoError>;

    /// Counts for the metrics; `None` when the store does not keep them.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] when it cannot be reached.
    async fn stats(&self, _now: Timestamp) -> Result<Option<StoreStats>, RepoError> {
        Ok(None)
    }
}
