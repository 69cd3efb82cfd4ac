//! `thunderphone rotate-secrets`: re-seal every stored credential under the
//! current key, so old keys can be removed from the configuration; and the
//! start-up check that the configured keys can open what is stored.

use thunderphone_ports::VaultError;

use crate::{App, AppError};

/// Connections handled per store round trip.
const BATCH: usize = 100;

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotated {
    /// Credentials re-sealed under the current key.
    pub resealed: u64,
    /// Credentials changed or deleted meanwhile (left to that writer).
    pub skipped: u64,
}

/// A key id under which credentials are stored that the configured keys
/// cannot open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableKey {
    /// The id the credentials were sealed under.
    pub key_id: String,
    /// True when a key of that id is configured, but it is not the key
    /// that sealed them.
    pub configured_differently: bool,
}

impl App {
    /// The key ids of stored credentials that the configured keys cannot
    /// open (one credential of each id is tried). Empty when every stored
    /// credential can be read, or none is stored.
    ///
    /// # Errors
    /// `Unavailable` when the store cannot be read.
    pub async fn unreadable_credential_keys(&self) -> Result<Vec<UnreadableKey>, AppError> {
        let samples = self
            .ports
            .connections
            .sealed_sample_per_key()
            .await
            .map_err(AppError::store)?;
        Ok(samples
            .into_iter()
            .filter_map(|sealed| match self.ports.vault.open(&sealed) {
                Err(VaultError::NoKey | VaultError::UnknownKey(_)) => Some(UnreadableKey {
                    key_id: sealed.key_id,
                    configured_differently: false,
                }),
                Err(VaultError::Corrupt) => Some(UnreadableKey {
                    key_id: sealed.key_id,
                    configured_differently: true,
                }),
                // Opened: the key is right, whatever today's rules say of
                // the values inside.
                Ok(_) | Err(VaultError::Outdated(_)) => None,
            })
            .collect())
    }

    /// Re-seals all credentials not sealed with the current key.
    ///
    /// # Errors
    /// `Unavailable` when no key is configured, a stored value was sealed
    /// with a key that is no longer configured, or the store is down.
    pub async fn rotate_secrets(&self) -> Result<Rotated, AppError> {
        let vault = &self.ports.vault;
        let current = vault
            .current_key_id()
            .ok_or(thunderphone_ports::VaultError::NoKey)?;
        let mut rotated = Rotated::default();
        loop {
            let batch = self
                .ports
                .connections
                .sealed_with_other_keys(&current, BATCH)
                .await
                .map_err(AppError::store)?;
            if batch.is_empty() {
                return Ok(rotated);
            }
            let mut progressed = false;
            for (id, sealed) in batch {
                // Re-sealed unread: a value stored before today's rules
                // moves to the new key like any other.
                let resealed = vault.reseal(&sealed)?;
                if self
                    .ports
                    .connections
                    .reseal(id, sealed, resealed)
                    .await
                    .map_err(AppError::store)?
                {
                    rotated.resealed += 1;
                    progressed = true;
                } else {
                    rotated.skipped += 1;
                }
            }
            if !progressed {
                // Everything left changed under us; the next run picks it up.
                return Ok(rotated);
            }
        }
    }
}
