//! One verifier for every kind of connection, and the check names and
//! details the verifiers share.

use std::sync::Arc;

use async_trait::async_trait;
use thunderphone_domain::{E164, VoipConnection, VoipCredentials, VoipProvider};
use thunderphone_ports::{CheckOutcome, OutboundGate, VoipVerifier};

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
