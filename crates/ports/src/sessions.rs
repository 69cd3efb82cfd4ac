//! Console sessions: a browser's sign-in, kept on the server so that
//! signing out ends it everywhere. Stores keep only the SHA-256 of a
//! session id, never the id itself, so a copy of the store opens no
//! browser's session.

use async_trait::async_trait;
use thunderphone_domain::{ApiKeyId, Principal, Timestamp};

use crate::RepoError;

/// A session to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Lower-case hex SHA-256 of the session id.
    pub id_hash: String,
    /// The API key the session acts with.
    pub api_key_id: ApiKeyId,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Sessions by the hash of their id.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session.
    ///
    /// # Errors
    /// - [`RepoError::Duplicate`]`("session")` when the hash is taken.
    /// - [`RepoError::NotFound`] when the key is unknown or revoked.
    async fn create_session(&self, session: NewSession) -> Result<(), RepoError>;

    /// The caller behind a session, in one read: `None` when the session is
    /// unknown or expired at `now`, or its key is revoked, or the key's
    /// user is no longer a member of its org. The role is the current one.
    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, RepoError>;

    /// Deletes a session; `false` when there was none.
    async fn delete_session(&self, id_hash: &str) -> Result<bool, RepoError>;

    /// Deletes up to `batch` sessions expired at `now`; returns how many.
    async fn purge_sessions(&self, now: Timestamp, batch: u32) -> Result<u64, RepoError>;
}
