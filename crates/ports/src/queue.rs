use async_trait::async_trait;
use thunderphone_domain::{E164, PhoneNumberId, Timestamp};

use crate::RepoError;

/// A pending activation: a demo number waiting for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationJob {
    /// The number to activate.
    pub number_id: PhoneNumberId,
    /// Its E.164 form, for the provider.
    pub number: E164,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The end of the lease it was handed out with: which lease this is.
    /// A job handed out again after its lease expired gets a later one,
    /// so [`ActivationQueue::retry_at`] can tell a late worker from the
    /// current one.
    pub lease_until: Timestamp,
}

/// The durable queue of activation jobs.
///
/// A job exists exactly while its number is a not-deleted `provisioning`
/// demo number: [`crate::NumberRepository::claim_pool_number`] creates it
/// (due at once) in the same transaction as the number, and a change that
/// moves the number out of `provisioning` (or deletes it) ends it. Workers
/// lease due jobs; a lease that is not settled in time (the worker died)
/// expires and the job is handed out again, so no job is lost and none runs
/// on two workers at once.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ActivationQueue: Send + Sync {
    /// Atomically leases up to `limit` jobs that are due at `now` and not
    /// leased (or whose lease has expired), until `lease_until`; oldest due
    /// first. Concurrent callers never receive the same job.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<ActivationJob>, RepoError>;

    /// Records a failed attempt of `job`: stores `attempts`, the error, and
    /// when the job is due again, and releases the lease — only while the
    /// job still holds the lease `job` was handed out with. A job that has
    /// ended meanwhile, or was handed out again after that lease expired
    /// (to any worker, of this store or another), is left alone (not an
    /// error): its current holder decides.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn retry_at(
        &self,
        job: &ActivationJob,
        attempts: u32,
        due: Timestamp,
        last_error: &str,
    ) -> Result<(), RepoError>;
}
