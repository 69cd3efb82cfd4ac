//! `THUNDERPHONE_SECRET_KEY`: one or more 32-byte keys, comma-separated,
//! each `base64` or `id:base64`; the first seals, all open. A key without
//! an explicit id gets one derived from its SHA-256, so the same key always
//! has the same id.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// A configured key ring. `Debug` shows ids only.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Vec<(String, [u8; 32])>,
}

/// Why the key configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    /// A key is not base64 of exactly 32 bytes.
    #[error(
        "THUNDERPHONE_SECRET_KEY entry {0} is not base64 of 32 bytes (generate one with `openssl rand -base64 32`)"
    )]
    BadKey(usize),
    /// A key id is empty, too long or has odd characters.
    #[error("THUNDERPHONE_SECRET_KEY entry {0} has an invalid key id (use 1-32 of A-Za-z0-9_-)")]
    BadId(usize),
    /// Two keys share an id.
    #[error("THUNDERPHONE_SECRET_KEY names key id `{0}` twice")]
    DuplicateId(String),
}

impl KeyRing {
    /// An empty ring: nothing can be sealed.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses the variable's value.
    ///
    /// # Errors
    /// When an entry is malformed or ids repeat.
    pub fn parse(value: &str) -> Result<Self, KeyRingError> {
        let mut keys: Vec<(String, [u8; 32])> = Vec::new();
        for (i, entry) in value
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let position = i + 1;
            let (id, encoded) = match entry.split_once(':') {
                Some((id, key)) => (Some(id.trim()), key.trim()),
                None => (None, entry),
            };
            let bytes = STANDARD
                .decode(encoded)
                .or_else(|_| URL_SAFE_NO_PAD.decode(encoded))
                .map_err(|_| KeyRingError::BadKey(position))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| KeyRingError::BadKey(position))?;
            let id = match id {
                Some(id) if valid_id(id) => id.to_owned(),
                Some(_) => return Err(KeyRingError::BadId(position)),
                None => derived_id(&key),
            };
            if id == crate::LEGACY_PLAINTEXT {
                return Err(KeyRingError::BadId(position));
            }
            if keys.iter().any(|(other, _)| *other == id) {
                return Err(KeyRingError::DuplicateId(id));
            }
            keys.push((id, key));
        }
        Ok(Self { keys })
    }

    /// The sealing key.
    pub(crate) fn current(&self) -> Option<(&str, &[u8; 32])> {
        self.keys.first().map(|(id, key)| (id.as_str(), key))
    }

    /// A key by id.
    pub(crate) fn get(&self, id: &str) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// The configured ids, sealing key first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("ids", &self.ids()).finish()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn derived_id(key: &[u8; 32]) -> String {
    let digest = Sha256::digest(key);
    format!("k{}", hex::encode(&digest[..4]))
}
