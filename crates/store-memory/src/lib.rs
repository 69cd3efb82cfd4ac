//! The in-memory store: the embedded default store and the fast test
//! double. It implements all four repository ports of
//! `thunderphone-ports` and passes the shared contract suite
//! (`thunderphone-store-contract`), so it behaves like the Postgres store.
//!
//! Correctness comes first: the whole state sits behind one lock, so every
//! method is atomic (the lock is never held across an `.await`; the methods
//! do not await at all). Nothing is persisted: the state lives as long as
//! the store.

mod agents;
mod connections;
mod events;
mod idempotency;
mod jobs;
mod numbers;
mod sessions;
mod state;
mod tenancy;
mod tenancy_lists;
mod webhooks;

use std::fmt;

use parking_lot::{Mutex, MutexGuard};

use crate::state::State;

/// A store holding everything in memory behind one lock. Ids start at 1
/// per record type. Cheap to create: make one per test.
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
        }
    }

    /// The state, locked for the duration of one repository call.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints record counts only: never credentials, key hashes or e-mails.
impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryStore")
            .field("orgs", &state.orgs.len())
            .field("users", &state.users.len())
            .field("api_keys", &state.api_keys.len())
            .field("numbers", &state.numbers.len())
            .field("held_numbers", &state.held.len())
            .field("agents", &state.agents.len())
            .field("connections", &state.connections.len())
            .field("idempotency_keys", &state.idempotency.len())
            .finish_non_exhaustive()
    }
}

/// Memory is always reachable.
#[async_trait::async_trait]
impl thunderphone_ports::StoreHealth for MemoryStore {
    async fn ping(&self) -> Result<(), thunderphone_ports::RepoError> {
        Ok(())
    }

    async fn stats(
        &self,
        now: thunderphone_domain::Timestamp,
    ) -> Result<Option<thunderphone_ports::StoreStats>, thunderphone_ports::RepoError> {
        Ok(Some(self.lock().stats(now)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
