//! One verifier for every kind of connection, and the check names and
//! details the verifiers share.

use std::sync::Arc;

use async_trait::async_trait;
use thunderphone_domain::{E164, VoipConnection, VoipCredentials, VoipProvider};
use thunderphone_ports::{CheckOutcome, OutboundGate, VoipVerifier};

use crate::http::ApiError;
use crate::{
    ConfigError, SipVerifier, SipVerifierConfig, TelnyxVerifier, TelnyxVerifierConfig,
    TwilioVerifier, TwilioVerifierConfig,
};

/// The credentials open the account or trunk.
pub(crate) const CREDENTIALS: &str = "credentials";
/// The number belongs to that account.
pub(crate) const NUMBER: &str = "number_in_account";
/// Calls to the number reach ThunderPhone.
pub(crate) const INBOUND: &str = "inbound_routing";
/// ThunderPhone may place calls through the connection.
pub(crate) const OUTBOUND: &str = "outbound_trunking";

/// A check that was not run because an earlier one failed: not passed, and
/// the detail says which one to fix first.
pub(crate) fn not_checked(name: &str, because: &str) -> CheckOutcome {
    CheckOutcome::failed(name, format!("not checked: {because}; fix that first"))
}

/// A failed vendor request as a detail may state it: the kind of failure
/// and the HTTP status, never the vendor's own text (API.md §15). The
/// whole error goes to the log for the operator.
pub(crate) fn vendor_failure(vendor: &str, error: &ApiError) -> String {
    tracing::info!(vendor, %error, "a verification request to the carrier failed");
    match error {
        ApiError::Status { status, .. } => format!("{vendor} answered HTTP {status}"),
        ApiError::Timeout { .. } => error.to_string(),
        ApiError::Transport { .. } => format!("could not reach {vendor}"),
        ApiError::Decode { .. } => format!("{vendor} sent an answer that could not be read"),
    }
}

/// A vendor identifier (trunk SID, connection id) fit to quote: ASCII
/// letters, digits, `-` and `_`, 1-64 of them. Anything else the vendor
/// returns is free text and is not quoted.
pub(crate) fn vendor_id(id: &str) -> Option<&str> {
    let token = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    token.then_some(id)
}

/// Credentials stored for another kind of provider than the connection's.
pub(crate) fn wrong_credentials(
    connection: &VoipConnection,
    credentials: &VoipCredentials,
) -> Vec<CheckOutcome> {
    vec![CheckOutcome::failed(
        CREDENTIALS,
        format!(
            "the connection is a {} connection but its stored credentials are for {}; recreate the connection with {} credentials",
            connection.provider,
            credentials.provider(),
            connection.provider
        ),
    )]
}

/// Configuration of all three verifiers.
#[derive(Debug, Clone)]
pub struct VerifiersConfig {
    /// Twilio connections.
    pub twilio: TwilioVerifierConfig,
    /// Telnyx connections.
    pub telnyx: TelnyxVerifierConfig,
    /// SIP trunks.
    pub sip: SipVerifierConfig,
}

impl VerifiersConfig {
    /// Production defaults; `inbound_voice_url` is our inbound-call webhook.
    pub fn new(inbound_voice_url: impl Into<String>) -> Self {
        Self {
            twilio: TwilioVerifierConfig::new(inbound_voice_url),
            telnyx: TelnyxVerifierConfig::default(),
            sip: SipVerifierConfig::default(),
        }
    }
}

/// Dispatches each verification to the verifier of the connection's
/// provider, so the application needs a single [`VoipVerifier`].
#[derive(Clone)]
pub struct VerifierRouter {
    twilio: Arc<dyn VoipVerifier>,
    telnyx: Arc<dyn VoipVerifier>,
    sip: Arc<dyn VoipVerifier>,
}

impl std::fmt::Debug for VerifierRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifierRouter")
    }
}

impl VerifierRouter {
    /// A router over any three verifiers (e.g. an `UnsupportedVerifier` for a
    /// provider this deployment does not check).
    pub fn new(
        twilio: Arc<dyn VoipVerifier>,
        telnyx: Arc<dyn VoipVerifier>,
        sip: Arc<dyn VoipVerifier>,
    ) -> Self {
        Self {
            twilio,
            telnyx,
            sip,
        }
    }

    /// The three real verifiers; customers' SIP trunks are reached through
    /// `gate` (the vendors' APIs are the operator's choice, not a tenant's).
    ///
    /// # Errors
    /// [`ConfigError`] when one of them cannot be built.
    pub fn from_config(
        config: VerifiersConfig,
        gate: Arc<dyn OutboundGate>,
    ) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Arc::new(TwilioVerifier::new(config.twilio)?),
            Arc::new(TelnyxVerifier::new(config.telnyx)?),
            Arc::new(SipVerifier::new(config.sip, gate)),
        ))
    }
}

#[async_trait]
impl VoipVerifier for VerifierRouter {
    async fn verify(
        &self,
        connection: &VoipConnection,
        credentials: &VoipCredentials,
        number: &E164,
    ) -> Vec<CheckOutcome> {
        if credentials.provider() != connection.provider {
            return wrong_credentials(connection, credentials);
        }
        let verifier = match connection.provider {
            VoipProvider::Twilio => &self.twilio,
            VoipProvider::Telnyx => &self.telnyx,
            VoipProvider::Sip => &self.sip,
        };
        verifier.verify(connection, credentials, number).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_text_is_never_quoted() {
        let error = ApiError::Status {
            status: 401,
            message: "Authenticate ACsecret".into(),
        };
        assert_eq!(vendor_failure("Twilio", &error), "Twilio answered HTTP 401");
        let decode = ApiError::Decode {
            vendor: "twilio",
            reason: "invalid type: string \"ACsecret\"".into(),
        };
        assert!(!vendor_failure("Twilio", &decode).contains("ACsecret"));
        assert_eq!(vendor_id("TKaaaa_1-2"), Some("TKaaaa_1-2"));
        for free in ["", "a b", "x\r\ny", "<b>", &"a".repeat(65)] {
            assert_eq!(vendor_id(free), None, "{free:?}");
        }
    }
}
