use std::fmt;

use crate::kinds::wire_enum;
use crate::sip::breaks_lines;
use crate::{ParseError, SipPassword, SipUsername};

wire_enum!(
    /// The kind of a customer's VoIP connection.
    VoipProvider {
        /// A Twilio account.
        Twilio => "twilio",
        /// A Telnyx account.
        Telnyx => "telnyx",
        /// A SIP trunk.
        Sip => "sip",
    }
);

/// A string that must never be logged or returned: `Debug` and `Display`
/// print `[redacted]`. Read it with [`Secret::expose`] only where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Longest accepted API key or token, in bytes.
    pub const MAX_BYTES: usize = 512;

    /// Validates a vendor API key or token from a request: 1-512 bytes, no
    /// control characters (it is sent in an HTTP header).
    ///
    /// # Errors
    /// A [`ParseError`] saying what a valid value looks like.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.is_empty() || input.len() > Self::MAX_BYTES {
            return Err(ParseError::new(format!(
                "must be 1-{} bytes",
                Self::MAX_BYTES
            )));
        }
        if input.chars().any(breaks_lines) {
            return Err(ParseError::new("must not contain control characters"));
        }
        Ok(Self::new(input))
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A Twilio account SID: `AC` and 32 hex digits. Not secret on its own,
/// but part of the credentials, so `Debug` does not print it and no
/// check detail quotes it (API.md §15).
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioAccountSid(String);

impl TwilioAccountSid {
    /// Validates an account SID.
    ///
    /// # Errors
    /// A [`ParseError`] when it is not `AC` and 32 hex digits.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let valid = input.len() == 34
            && input
                .strip_prefix("AC")
                .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(ParseError::new(
                "must be a Twilio account SID: AC followed by 32 hex digits",
            ))
        }
    }

    /// The SID, for the API requests that name the account.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TwilioAccountSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwilioAccountSid([redacted])")
    }
}

/// Credentials of a VoIP connection; write-only through the API. Each
/// value is of a type that holds only what may be sent where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoipCredentials {
    /// Twilio account SID and auth token.
    Twilio {
        /// `AC…` account SID.
        account_sid: TwilioAccountSid,
        /// The auth token.
        auth_token: Secret,
    },
    /// A Telnyx API key.
    Telnyx {
        /// The API key.
        api_key: Secret,
    },
    /// SIP digest credentials (both optional: some trunks allow by IP).
    Sip {
        /// Digest username.
        username: Option<SipUsername>,
        /// Digest password.
        password: Option<SipPassword>,
    },
}

impl VoipCredentials {
    /// Which provider these credentials are for.
    pub fn provider(&self) -> VoipProvider {
        match self {
            VoipCredentials::Twilio { .. } => VoipProvider::Twilio,
            VoipCredentials::Telnyx { .. } => VoipProvider::Telnyx,
            VoipCredentials::Sip { .. } => VoipProvider::Sip,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SID: &str = "AC0123456789abcdef0123456789ABCDEF";

    #[test]
    fn secrets_never_print() {
        let creds = VoipCredentials::Twilio {
            account_sid: TwilioAccountSid::parse(SID).unwrap(),
            auth_token: Secret::new("hunter2"),
        };
        let printed = format!("{creds:?} {}", Secret::new("hunter2"));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains(SID), "{printed}");
    }

    #[test]
    fn account_sids() {
        assert_eq!(TwilioAccountSid::parse(SID).unwrap().as_str(), SID);
        for bad in [
            "",
            "AC123",
            "XX0123456789abcdef0123456789abcdef",
            "ac0123456789abcdef0123456789abcdef",
            "AC0123456789abcdef0123456789abcdeg",
            "AC0123456789abcdef0123456789abcde\n",
            "AC0123456789abcdef0123456789abcdef0",
            "AC0123456789abcdef0123456789abcd\r\n",
        ] {
            assert!(TwilioAccountSid::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn api_keys_and_tokens_refuse_control_chars() {
        assert!(Secret::parse("KEY0123_abc-xyz").is_ok());
        assert!(Secret::parse("").is_err());
        assert!(Secret::parse(&"k".repeat(513)).is_err());
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            assert!(Secret::parse(&format!("KEY{c}1")).is_err(), "{c:?}");
        }
    }
}
