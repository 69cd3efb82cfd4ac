use std::fmt;

use crate::kinds::wire_enum;

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

/// Credentials of a VoIP connection; write-only through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoipCredentials {
    /// Twilio account SID and auth token.
    Twilio {
        /// `AC…` account SID (not secret on its own).
        account_sid: String,
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
        username: Option<String>,
        /// Digest password.
        password: Option<Secret>,
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
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let creds = VoipCredentials::Twilio {
            account_sid: "AC123".into(),
            auth_token: Secret::new("hunter2"),
        };
        let printed = format!("{creds:?} {}", Secret::new("hunter2"));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("AC123"));
    }
}
