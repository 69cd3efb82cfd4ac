//! Console sessions in memory.

use async_trait::async_trait;
use thunderphone_domain::{ApiKeyId, Principal, Timestamp};
use thunderphone_ports::{NewSession, RepoError, SessionStore};

use crate::MemoryStore;

/// A stored session: its key and when it ends.
#[derive(Debug, Clone)]
pub(crate) struct StoredSession {
    pub(crate) api_key_id: ApiKeyId,
    pub(crate) expires_at: Timestamp,
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: NewSession) -> Result<(), RepoError> {
        let mut state = self.lock();
        let live = state
            .key_hashes
            .get(&session.api_key_id)
            .and_then(|hash| state.api_keys.get(hash))
            .is_some_and(|key| key.revoked_at.is_none());
        if !live {
            return Err(RepoError::NotFound);
        }
        if state.sessions.contains_key(&session.id_hash) {
            return Err(RepoError::Duplicate("session"));
        }
        state.sessions.insert(
            session.id_hash,
            StoredSession {
                api_key_id: session.api_key_id,
                expires_at: session.expires_at,
            },
        );
        Ok(())
    }

    async fn find_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, RepoError> {
        let state = self.lock();
        let Some(session) = state.sessions.get(id_hash).filter(|s| s.expires_at > now) else {
            return Ok(None);
        };
        let Some(key_hash) = state.key_hashes.get(&session.api_key_id) else {
            return Ok(None);
        };
        Ok(state.authenticate(key_hash))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, RepoError> {
        Ok(self.lock().sessions.remove(id_hash).is_some())
    }

    async fn purge_sessions(&self, now: Timestamp, batch: u32) -> Result<u64, RepoError> {
        let mut state = self.lock();
        let expired: Vec<String> = state
            .sessions
            .iter()
            .filter(|(_, s)| s.expires_at <= now)
            .map(|(hash, _)| hash.clone())
            .take(usize::try_from(batch).unwrap_or(usize::MAX))
            .collect();
        for hash in &expired {
            state.sessions.remove(hash);
        }
        Ok(expired.len() as u64)
    }
}
