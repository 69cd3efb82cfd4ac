use async_trait::async_trait;
use thunderphone_domain::{OrgId, Timestamp};

use crate::RepoError;

/// A response kept for replay: everything a client sees of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status (below 500: server errors are never kept).
    pub status: u16,
    /// Headers worth replaying (content type, location, ETag).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What `begin` found for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// The key is now held for this request: do the work, then
    /// `complete` or `abandon`.
    Started,
    /// The same request was completed before: send this again.
    Replay(StoredResponse),
    /// The same request is still running elsewhere.
    InProgress,
    /// The key was used for a different request (method, path or body).
    KeyReused,
}

/// Idempotency keys (API.md §11), scoped to an org. Every method is atomic:
/// two concurrent `begin`s for one key never both get `Started`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request identified by `fingerprint` (a hash of
    /// method, path and body). A record created before `expires_before` is
    /// treated as absent; a `Started` claim not completed by `lock_until`
    /// (its request died) may be taken over.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn begin(
        &self,
        org_id: OrgId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lock_until: Timestamp,
        expires_before: Timestamp,
    ) -> Result<IdempotencyStart, RepoError>;

    /// Stores the response of a started request, for replays.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn complete(
        &self,
        org_id: OrgId,
        key: &str,
        fingerprint: &str,
        response: StoredResponse,
    ) -> Result<(), RepoError>;

    /// Releases a started key without a response (a 5xx): the client may
    /// retry with the same key.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn abandon(&self, org_id: OrgId, key: &str, fingerprint: &str) -> Result<(), RepoError>;

    /// Deletes at most `limit` records created before `expires_before`
    /// (expired: never replayed again) and says how many it
    /// deleted. Fewer than `limit` means none were left; a purge job calls
    /// it in batches so that no call holds the store for long. Records
    /// still running are deleted too: no request runs for 24 h.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn purge_expired(&self, expires_before: Timestamp, limit: u32) -> Result<u64, RepoError>;
}
