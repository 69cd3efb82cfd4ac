//! Signing secrets: `whsec_` and the base64 of 32 random bytes, the form
//! the Standard Webhooks libraries take.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use thunderphone_ports::Unexpected;

use crate::AppError;

/// Prefix of every signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: its bytes (to seal) and its text (shown once).
pub(crate) struct NewSecret {
    pub(crate) bytes: Vec<u8>,
    pub(crate) text: String,
}

/// 32 bytes from the OS random generator.
pub(crate) fn generate() -> Result<NewSecret, AppError> {
    let mut bytes = vec![0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        AppError::Unexpected(Unexpected::context("no randomness for a signing secret", e))
    })?;
    let text = format!("{SECRET_PREFIX}{}", STANDARD.encode(&bytes));
    Ok(NewSecret { bytes, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_base64_of_32_random_bytes() {
        let (a, b) = (generate(), generate());
        let (Ok(a), Ok(b)) = (a, b) else {
            panic!("no randomness");
        };
        assert!(a.text.starts_with(SECRET_PREFIX));
        let decoded = STANDARD.decode(&a.text[SECRET_PREFIX.len()..]);
        assert_eq!(decoded.as_deref(), Ok(a.bytes.as_slice()));
        assert_eq!(a.bytes.len(), 32);
        assert_ne!(a.bytes, b.bytes);
    }
}
