use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// How far `webhook-timestamp` may be from now, in seconds.
const TOLERANCE: i64 = 5 * 60;

/// Whether a delivery is authentic. `secret` is the endpoint's `whsec_…`
/// secret; `id`, `timestamp` and `signatures` are the `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` headers; `body` is the raw
/// request body, before any JSON parsing; `now` is the Unix time.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
    else {
        return false;
    };
    match timestamp.parse::<i64>() {
        Ok(sent) if (now - sent).abs() <= TOLERANCE => {}
        _ => return false,
    }
    // One `v1,<base64>` per secret that signs, separated by spaces.
    signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|signature| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            mac.verify_slice(&signature).is_ok() // constant-time comparison
        })
}
