//! Standard Webhooks signatures (standardwebhooks.com, symmetric `v1`):
//! `v1,` and the base64 of HMAC-SHA256 over `"{id}.{timestamp}.{body}"`,
//! keyed by the secret's bytes. Pure, so the known vectors pin it down.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use thunderphone_ports::SigningKey;

/// The `webhook-signature` value for one key: `v1,<base64>`.
pub fn sign(key: &SigningKey, webhook_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(webhook_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per key, in the order
/// given, separated by single spaces (two while a rotated secret still
/// signs).
pub fn header(keys: &[SigningKey], webhook_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| sign(key, webhook_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(base64: &str) -> SigningKey {
        SigningKey(STANDARD.decode(base64).unwrap_or_default())
    }

    /// The vector the Standard Webhooks reference libraries test `sign`
    /// with (secret `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`).
    #[test]
    fn matches_the_reference_vector() {
        let key = key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(key.0.len(), 24);
        let signature = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    /// The signed content is exactly `"{id}.{timestamp}.{body}"`, and
    /// every part of it counts.
    #[test]
    fn signs_id_timestamp_and_body_joined_by_dots() {
        let k = key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let mut mac = Hmac::<Sha256>::new_from_slice(&k.0).unwrap_or_else(|_| unreachable!());
        mac.update(b"evt_1.1614265330.{\"a\":1}");
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        let base = sign(&k, "evt_1", 1_614_265_330, br#"{"a":1}"#);
        assert_eq!(base, expected);
        assert_eq!(base.len(), "v1,".len() + 44, "32 bytes in padded base64");
        assert_ne!(base, sign(&k, "evt_2", 1_614_265_330, br#"{"a":1}"#));
        assert_ne!(base, sign(&k, "evt_1", 1_614_265_331, br#"{"a":1}"#));
        assert_ne!(base, sign(&k, "evt_1", 1_614_265_330, br#"{"a":2}"#));
        let other = SigningKey(vec![1; 32]);
        assert_ne!(base, sign(&other, "evt_1", 1_614_265_330, br#"{"a":1}"#));
    }

    #[test]
    fn the_header_lists_one_signature_per_key_in_order() {
        let old = key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let new = SigningKey(vec![7; 32]);
        let both = header(&[new.clone(), old.clone()], "evt_1", 5, b"{}");
        assert_eq!(
            both,
            format!(
                "{} {}",
                sign(&new, "evt_1", 5, b"{}"),
                sign(&old, "evt_1", 5, b"{}")
            )
        );
        assert_eq!(
            header(std::slice::from_ref(&old), "evt_1", 5, b"{}"),
            sign(&old, "evt_1", 5, b"{}")
        );
    }
}
