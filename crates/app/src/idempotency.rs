//! Idempotency keys (API.md §11): a retried POST with the same key, method,
//! path and body within 24 h gets the first response again instead of
//! doing the work twice.

use std::time::Duration;

use thunderphone_domain::Principal;
use thunderphone_ports::{IdempotencyStart, StoredResponse};

use crate::{App, AppError};

/// How long a completed response is replayed.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a running request holds its key before another attempt may take
/// it over (the first one must have died: every request is bounded well
/// below this).
const LOCK: Duration = Duration::from_secs(60);

/// True for 1–255 characters of `A-Za-z0-9_:-`.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=255).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':' || b == b'-')
}

fn span(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or_default()
}

impl App {
    /// Claims an idempotency key for the caller's org.
    ///
    /// # Errors
    /// `Validation` for a malformed key; `Unavailable` when the store is down.
    pub async fn begin_idempotent(
        &self,
        caller: &Principal,
        key: &str,
        fingerprint: &str,
    ) -> Result<IdempotencyStart, AppError> {
        if !valid_idempotency_key(key) {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "must be 1-255 of A-Za-z0-9_:-",
            ));
        }
        let now = self.ports.clock.now();
        self.ports
            .idempotency
            .begin(
                caller.org_id,
                key,
                fingerprint,
                now,
                now + span(LOCK),
                now - span(IDEMPOTENCY_TTL),
            )
            .await
            .map_err(AppError::store)
    }

    /// Keeps the response of a request that ran under a key.
    ///
    /// # Errors
    /// `Unavailable` when the store is down (the response is still sent).
    pub async fn complete_idempotent(
        &self,
        caller: &Principal,
        key: &str,
        fingerprint: &str,
        response: StoredResponse,
    ) -> Result<(), AppError> {
        self.ports
            .idempotency
            .complete(caller.org_id, key, fingerprint, response)
            .await
            .map_err(AppError::store)
    }

    /// Releases a key whose request failed with a server error.
    ///
    /// # Errors
    /// `Unavailable` when the store is down (the key then frees itself
    /// after its lock expires).
    pub async fn abandon_idempotent(
        &self,
        caller: &Principal,
        key: &str,
        fingerprint: &str,
    ) -> Result<(), AppError> {
        self.ports
            .idempotency
            .abandon(caller.org_id, key, fingerprint)
            .await
            .map_err(AppError::store)
    }
}

impl App {
    /// Deletes every idempotency record older than [`IDEMPOTENCY_TTL`]
    /// (expired: `begin` treats them as absent already), `batch` at a time
    /// so that no store call runs long, and says how many it deleted.
    ///
    /// # Errors
    /// `Unavailable` when the store is down; records deleted by earlier
    /// batches stay deleted.
    pub async fn purge_idempotency_keys(&self, batch: u32) -> Result<u64, AppError> {
        let batch = batch.max(1);
        let expires_before = self.ports.clock.now() - span(IDEMPOTENCY_TTL);
        let mut deleted = 0;
        loop {
            let n = self
                .ports
                .idempotency
                .purge_expired(expires_before, batch)
                .await
                .map_err(AppError::store)?;
            deleted += n;
            if n < u64::from(batch) {
                return Ok(deleted);
            }
            // Let requests waiting for the store in between.
            tokio::task::yield_now().await;
        }
    }

    /// The purge job: runs [`App::purge_idempotency_keys`] every `every`
    /// until `shutdown` completes, logging what it deleted. A store that
    /// cannot be reached is logged and tried again at the next run.
    pub async fn run_idempotency_purge(
        &self,
        every: Duration,
        batch: u32,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
            match self.purge_idempotency_keys(batch).await {
                Ok(0) => tracing::debug!("no expired idempotency keys"),
                Ok(deleted) => tracing::info!(deleted, "expired idempotency keys purged"),
                Err(error) => tracing::warn!(%error, "cannot purge expired idempotency keys"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shape() {
        assert!(valid_idempotency_key("order-42:retry_1"));
        assert!(valid_idempotency_key(&"a".repeat(255)));
        for bad in ["", "has space", "ü", "a/b", &"a".repeat(256)] {
            assert!(!valid_idempotency_key(bad), "{bad:?}");
        }
    }
}
