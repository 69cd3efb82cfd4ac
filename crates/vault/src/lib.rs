//! Credentials at rest: AES-256-GCM (the `aes-gcm` crate of RustCrypto,
//! audited and constant-time) under keys from `THUNDERPHONE_SECRET_KEY`.
//!
//! Each sealed value records the id of its key, so keys rotate without a
//! flag day: configure the new key first and keep the old ones after it;
//! new credentials are sealed with the first key, everything configured
//! can be opened, and `thunderphone rotate-secrets` re-seals old values.

mod keyring;
mod plain;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use thunderphone_domain::VoipCredentials;
use thunderphone_ports::{CredentialVault, SealedCredentials, VaultError};

pub use keyring::{KeyRing, KeyRingError};

/// The key id of credentials stored before sealing existed (migrated rows).
pub const LEGACY_PLAINTEXT: &str = "plaintext";

/// Format byte at the start of every ciphertext.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// The vault: seals with the first key of its ring, opens with any.
#[derive(Clone)]
pub struct AesGcmVault {
    ring: KeyRing,
}

impl std::fmt::Debug for AesGcmVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AesGcmVault")
            .field("key_ids", &self.ring.ids())
            .finish()
    }
}

impl AesGcmVault {
    /// A vault over `ring` (which may be empty: then nothing can be sealed).
    pub fn new(ring: KeyRing) -> Self {
        Self { ring }
    }
}

/// Binds the ciphertext to its purpose and key id: a blob cannot be
/// replayed under another key id or for another purpose.
fn aad(purpose: Purpose, key_id: &str) -> Vec<u8> {
    let purpose = match purpose {
        Purpose::VoipCredentials => "voip-credentials",
        Purpose::WebhookSecret => "webhook-secret",
    };
    format!("thunderphone/{purpose}/v1/{key_id}").into_bytes()
}

/// What a sealed blob holds; part of its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    VoipCredentials,
    WebhookSecret,
}

impl AesGcmVault {
    /// Encrypts `plaintext` under the current key.
    fn encrypt(&self, purpose: Purpose, plaintext: &[u8]) -> Result<SealedCredentials, VaultError> {
        let (key_id, key) = self.ring.current().ok_or(VaultError::NoKey)?;
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::NoKey)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| VaultError::NoKey)?;
        let aad = aad(purpose, key_id);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        let mut ciphertext = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        ciphertext.push(FORMAT_V1);
        ciphertext.extend_from_slice(&nonce);
        ciphertext.extend_from_slice(&sealed);
        Ok(SealedCredentials {
            key_id: key_id.to_owned(),
            ciphertext,
        })
    }

    /// The plaintext of `sealed`, unread.
    fn decrypt(&self, purpose: Purpose, sealed: &SealedCredentials) -> Result<Vec<u8>, VaultError> {
        if sealed.key_id == LEGACY_PLAINTEXT && purpose == Purpose::VoipCredentials {
            // Written before credentials were sealed; `rotate-secrets`
            // seals these.
            return Ok(sealed.ciphertext.clone());
        }
        let key = self
            .ring
            .get(&sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::Corrupt)?;
        let [FORMAT_V1, rest @ ..] = sealed.ciphertext.as_slice() else {
            return Err(VaultError::Corrupt);
        };
        if rest.len() < NONCE_LEN {
            return Err(VaultError::Corrupt);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let aad = aad(purpose, &sealed.key_id);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Corrupt)
    }
}

impl CredentialVault for AesGcmVault {
    fn seal(&self, credentials: &VoipCredentials) -> Result<SealedCredentials, VaultError> {
        // Check the key before encoding, so no plaintext is built for nothing.
        self.ring.current().ok_or(VaultError::NoKey)?;
        self.encrypt(Purpose::VoipCredentials, &plain::encode(credentials))
    }

    fn open(&self, sealed: &SealedCredentials) -> Result<VoipCredentials, VaultError> {
        plain::decode(&self.decrypt(Purpose::VoipCredentials, sealed)?)
    }

    fn reseal(&self, sealed: &SealedCredentials) -> Result<SealedCredentials, VaultError> {
        self.ring.current().ok_or(VaultError::NoKey)?;
        self.encrypt(
            Purpose::VoipCredentials,
            &self.decrypt(Purpose::VoipCredentials, sealed)?,
        )
    }

    fn seal_webhook_secret(&self, secret: &[u8]) -> Result<SealedCredentials, VaultError> {
        self.encrypt(Purpose::WebhookSecret, secret)
    }

    fn open_webhook_secret(&self, sealed: &SealedCredentials) -> Result<Vec<u8>, VaultError> {
        self.decrypt(Purpose::WebhookSecret, sealed)
    }

    fn reseal_webhook_secret(
        &self,
        sealed: &SealedCredentials,
    ) -> Result<SealedCredentials, VaultError> {
        self.ring.current().ok_or(VaultError::NoKey)?;
        self.encrypt(
            Purpose::WebhookSecret,
            &self.decrypt(Purpose::WebhookSecret, sealed)?,
        )
    }

    fn current_key_id(&self) -> Option<String> {
        self.ring.current().map(|(id, _)| id.to_owned())
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
