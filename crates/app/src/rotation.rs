//! `thunderphone rotate-secrets`: re-seal every stored credential and
//! webhook signing secret under the current key, so old keys can be
//! removed from the configuration; and the start-up check that the
//! configured keys can open what is stored.

use thunderphone_ports::VaultError;

use crate::{App, AppError};

/// Sealed values handled per store round trip.
const BATCH: usize = 100;

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotated {
    /// Credentials and signing secrets re-sealed under the current key.
    pub resealed: u64,
    /// Values changed or deleted meanwhile (left to that writer).
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
    /// The key ids of stored credentials and webhook signing secrets that
    /// the configured keys cannot open (one value of each id and kind is
    /// tried). Empty when every stored value can be read, or none is
    /// stored.
    ///
    /// # Errors
    /// `Unavailable` when the store cannot be read.
    pub async fn unreadable_credential_keys(&self) -> Result<Vec<UnreadableKey>, AppError> {
        let credentials = self
            .ports
            .connections
            .sealed_sample_per_key()
            .await
            .map_err(AppError::store)?;
        let secrets = self
            .ports
            .webhooks
            .secret_sample_per_key(self.ports.clock.now())
            .await
            .map_err(AppError::store)?;
        let vault = &self.ports.vault;
        let opened = credentials
            .into_iter()
            .map(|sealed| {
                // Opened with `Outdated`: the key is right, whatever
                // today's rules say of the values inside.
                let result = match vault.open(&sealed) {
                    Err(VaultError::Outdated(_)) => Ok(()),
                    other => other.map(drop),
                };
                (sealed.key_id, result)
            })
            .chain(secrets.into_iter().map(|sealed| {
                let result = vault.open_webhook_secret(&sealed).map(drop);
                (sealed.key_id, result)
            }));
        let mut unreadable: Vec<UnreadableKey> = Vec::new();
        for (key_id, result) in opened {
            let configured_differently = match result {
                Ok(()) => continue,
                Err(VaultError::Corrupt) => true,
                Err(_) => false,
            };
            if !unreadable.iter().any(|u| u.key_id == key_id) {
                unreadable.push(UnreadableKey {
                    key_id,
                    configured_differently,
                });
            }
        }
        Ok(unreadable)
    }

    /// Re-seals all credentials and webhook signing secrets not sealed
    /// with the current key.
    ///
    /// # Errors
    /// `Unavailable` when no key is configured, a stored value was sealed
    /// with a key that is no longer configured, or the store is down.
    pub async fn rotate_secrets(&self) -> Result<Rotated, AppError> {
        let current = self
            .ports
            .vault
            .current_key_id()
            .ok_or(thunderphone_ports::VaultError::NoKey)?;
        let credentials = self.reseal_credentials(&current).await?;
        let secrets = self.reseal_webhook_secrets(&current).await?;
        Ok(Rotated {
            resealed: credentials.resealed + secrets.resealed,
            skipped: credentials.skipped + secrets.skipped,
        })
    }

    async fn reseal_credentials(&self, current: &str) -> Result<Rotated, AppError> {
        let vault = &self.ports.vault;
        let mut rotated = Rotated::default();
        loop {
            let batch = self
                .ports
                .connections
                .sealed_with_other_keys(current, BATCH)
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

    async fn reseal_webhook_secrets(&self, current: &str) -> Result<Rotated, AppError> {
        let vault = &self.ports.vault;
        let webhooks = &self.ports.webhooks;
        let mut rotated = Rotated::default();
        loop {
            let now = self.ports.clock.now();
            let batch = webhooks
                .secrets_sealed_with_other_keys(current, now, BATCH)
                .await
                .map_err(AppError::store)?;
            if batch.is_empty() {
                return Ok(rotated);
            }
            let mut progressed = false;
            for secret in batch {
                let resealed = vault.reseal_webhook_secret(&secret.sealed)?;
                if webhooks
                    .reseal_secret(secret, resealed)
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
                return Ok(rotated);
            }
        }
    }
}
