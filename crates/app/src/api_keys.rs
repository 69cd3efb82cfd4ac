//! API keys: 32 random bytes behind a recognisable prefix, shown once and
//! stored only as a SHA-256 hash. A fast hash is right here: the key has
//! 256 bits of entropy, so there is nothing to brute-force, and lookups by
//! hash keep authentication to one indexed read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use thunderphone_ports::Unexpected;

use crate::AppError;

/// Every key starts with this, so leaked keys are easy to spot and scan for.
pub const API_KEY_PREFIX: &str = "tpk_";

/// Length of a key: prefix + 43 base64url characters (32 bytes).
const KEY_LEN: usize = 4 + 43;

/// A new random key.
pub(crate) fn generate() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Unexpected::msg(format!("no randomness for an API key: {e}")))?;
    Ok(format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a key: lower-case hex SHA-256.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The hash to look a presented bearer key up by; a key that does not
/// have the shape of one of ours is `Unauthorized` without touching the
/// store.
pub(crate) fn lookup_hash(bearer: &str) -> Result<String, AppError> {
    if well_formed(bearer) {
        Ok(hash_api_key(bearer))
    } else {
        Err(AppError::Unauthorized)
    }
}

/// True when `key` has the shape of one of our keys; anything else is
/// refused without touching the store.
pub(crate) fn well_formed(key: &str) -> bool {
    key.len() == KEY_LEN
        && key.starts_with(API_KEY_PREFIX)
        && key[API_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_well_formed() {
        let (Ok(a), Ok(b)) = (generate(), generate()) else {
            panic!("randomness")
        };
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert!(!well_formed("tpk_short"));
        assert!(!well_formed(&a.replace("tpk_", "xyz_")));
    }

    #[test]
    fn hash_is_stable_hex() {
        let h = hash_api_key("tpk_x");
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_api_key("tpk_x"));
        assert_ne!(h, hash_api_key("tpk_y"));
        // FIPS 180-2's test vector: lower-case hex of SHA-256("abc").
        assert_eq!(
            hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
