//! Idempotency keys in memory.

use async_trait::async_trait;
use thunderphone_domain::{OrgId, Timestamp};
use thunderphone_ports::{IdempotencyStart, IdempotencyStore, RepoError, StoredResponse};

use crate::MemoryStore;

/// One key's record.
#[derive(Debug, Clone)]
pub(crate) struct IdempotencyEntry {
    fingerprint: String,
    created_at: Timestamp,
    state: EntryState,
}

#[derive(Debug, Clone)]
enum EntryState {
    Running { lock_until: Timestamp },
    Done(StoredResponse),
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin(
        &self,
        org_id: OrgId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        lock_until: Timestamp,
        expires_before: Timestamp,
    ) -> Result<IdempotencyStart, RepoError> {
        let mut state = self.lock();
        let slot = (org_id, key.to_owned());
        let fresh = IdempotencyEntry {
            fingerprint: fingerprint.to_owned(),
            created_at: now,
            state: EntryState::Running { lock_until },
        };
        let Some(entry) = state
            .idempotency
            .get(&slot)
            .filter(|e| e.created_at >= expires_before)
        else {
            state.idempotency.insert(slot, fresh);
            return Ok(IdempotencyStart::Started);
        };
        if entry.fingerprint != fingerprint {
            return Ok(IdempotencyStart::KeyReused);
        }
        Ok(match &entry.state {
            EntryState::Done(response) => IdempotencyStart::Replay(response.clone()),
            EntryState::Running { lock_until } if *lock_until > now => IdempotencyStart::InProgress,
            EntryState::Running { .. } => {
                state.idempotency.insert(slot, fresh);
                IdempotencyStart::Started
            }
        })
    }

    async fn complete(
        &self,
        org_id: OrgId,
        key: &str,
        fingerprint: &str,
        response: StoredResponse,
    ) -> Result<(), RepoError> {
        let mut state = self.lock();
        if let Some(entry) = state.idempotency.get_mut(&(org_id, key.to_owned()))
            && entry.fingerprint == fingerprint
        {
            entry.state = EntryState::Done(response);
        }
        Ok(())
    }

    async fn abandon(&self, org_id: OrgId, key: &str, fingerprint: &str) -> Result<(), RepoError> {
        let mut state = self.lock();
        let slot = (org_id, key.to_owned());
        let running = state.idempotency.get(&slot).is_some_and(|e| {
            e.fingerprint == fingerprint && matches!(e.state, EntryState::Running { .. })
        });
        if running {
            state.idempotency.remove(&slot);
        }
        Ok(())
    }

    async fn purge_expired(&self, expires_before: Timestamp, limit: u32) -> Result<u64, RepoError> {
        let mut state = self.lock();
        // Stops at `limit`: when most records are expired, a batch costs
        // about `limit` steps, not a scan of the whole map.
        let expired: Vec<_> = state
            .idempotency
            .iter()
            .filter(|(_, e)| e.created_at < expires_before)
            .map(|(slot, _)| slot.clone())
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        for slot in &expired {
            state.idempotency.remove(slot);
        }
        // Give memory back once the map is mostly empty, so a burst of
        // keys does not pin its peak size for the life of the process.
        let len = state.idempotency.len();
        if state.idempotency.capacity() > 4 * len.max(64) {
            state.idempotency.shrink_to_fit();
        }
        Ok(expired.len() as u64)
    }
}
