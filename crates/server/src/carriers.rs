//! Carrier settings: the accounts behind the pool, and what the verifiers
//! compare customers' configuration with.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use thunderphone_carriers::{
    DemoProvider, SipVerifierConfig, TelnyxConfig, TelnyxProvider, TwilioConfig, TwilioProvider,
    VerifierRouter, VerifiersConfig,
};
use thunderphone_domain::Secret;
use thunderphone_ports::{NumberProvider, OutboundGate, VoipVerifier};

use crate::{Config, ProviderKind};

/// The voice platform's inbound webhook unless configured otherwise.
pub const DEFAULT_INBOUND_VOICE_URL: &str = "https://voice.thunderphone.dev/inbound";

/// Carrier accounts and verification settings.
#[derive(Debug, Clone, Args)]
pub struct CarrierConfig {
    /// Bound on one VoIP verification, in seconds.
    #[arg(
        long = "verify-timeout-secs",
        env = "THUNDERPHONE_VERIFY_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub verify_timeout_secs: u64,

    /// The webhook inbound calls must reach (the voice platform's front
    /// door): the pool's numbers are bought pointing at it, and the Twilio
    /// verifier checks that customers' numbers point at it.
    #[arg(long = "inbound-voice-url", env = "THUNDERPHONE_INBOUND_VOICE_URL", default_value = DEFAULT_INBOUND_VOICE_URL)]
    pub inbound_voice_url: String,

    /// Our SIP host, accepted by the Twilio verifier as inbound routing
    /// when a customer's number is on a trunk pointing at it.
    #[arg(long = "inbound-sip-host", env = "THUNDERPHONE_INBOUND_SIP_HOST")]
    pub inbound_sip_host: Option<String>,

    /// Our public signalling address, named in SIP 403 advice.
    #[arg(long = "sip-public-address", env = "THUNDERPHONE_SIP_PUBLIC_ADDRESS")]
    pub sip_public_address: Option<String>,

    /// Bound on one SIP OPTIONS transaction, in ms.
    #[arg(
        long = "sip-options-timeout-ms",
        env = "THUNDERPHONE_SIP_OPTIONS_TIMEOUT_MS",
        default_value_t = 3000
    )]
    pub sip_options_timeout_ms: u64,

    /// Twilio account SID of the pool (`THUNDERPHONE_PROVIDER=twilio`).
    #[arg(long = "twilio-account-sid", env = "THUNDERPHONE_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,

    /// Twilio auth token of the pool.
    #[arg(
        long = "twilio-auth-token",
        env = "THUNDERPHONE_TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        value_parser = crate::config::secret
    )]
    pub twilio_auth_token: Option<Secret>,

    /// Twilio REST base URL (tests, regional edges).
    #[arg(long = "twilio-api-url", env = "THUNDERPHONE_TWILIO_API_URL")]
    pub twilio_api_url: Option<String>,

    /// Twilio trunking API base URL, for the verifier.
    #[arg(long = "twilio-trunking-url", env = "THUNDERPHONE_TWILIO_TRUNKING_URL")]
    pub twilio_trunking_url: Option<String>,

    /// Telnyx API key of the pool (`THUNDERPHONE_PROVIDER=telnyx`).
    #[arg(
        long = "telnyx-api-key",
        env = "THUNDERPHONE_TELNYX_API_KEY",
        hide_env_values = true,
        value_parser = crate::config::secret
    )]
    pub telnyx_api_key: Option<Secret>,

    /// Telnyx connection that bought numbers are assigned to.
    #[arg(
        long = "telnyx-connection-id",
        env = "THUNDERPHONE_TELNYX_CONNECTION_ID"
    )]
    pub telnyx_connection_id: Option<String>,

    /// Telnyx API base URL (tests).
    #[arg(long = "telnyx-api-url", env = "THUNDERPHONE_TELNYX_API_URL")]
    pub telnyx_api_url: Option<String>,
}

/// A setting the chosen carrier cannot do without.
fn required(value: Option<&str>, name: &str, provider: &str) -> anyhow::Result<String> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => bail!("THUNDERPHONE_PROVIDER={provider} needs {name}"),
    }
}

/// The pool's carrier.
///
/// # Errors
/// When the chosen carrier's settings are missing or invalid.
pub fn provider(config: &Config) -> anyhow::Result<Arc<dyn NumberProvider>> {
    let carriers = &config.carriers;
    Ok(match config.pool.provider {
        ProviderKind::Demo => Arc::new(DemoProvider::new(config.demo_activation())),
        ProviderKind::Twilio => {
            let mut twilio = TwilioConfig::new(
                required(
                    carriers.twilio_account_sid.as_deref(),
                    "THUNDERPHONE_TWILIO_ACCOUNT_SID",
                    "twilio",
                )?,
                Secret::new(required(
                    carriers.twilio_auth_token.as_ref().map(Secret::expose),
                    "THUNDERPHONE_TWILIO_AUTH_TOKEN",
                    "twilio",
                )?),
                carriers.inbound_voice_url.clone(),
            );
            if let Some(url) = &carriers.twilio_api_url {
                twilio.base_url.clone_from(url);
            }
            Arc::new(TwilioProvider::new(twilio).context("invalid Twilio settings")?)
        }
        ProviderKind::Telnyx => {
            let mut telnyx = TelnyxConfig::new(
                Secret::new(required(
                    carriers.telnyx_api_key.as_ref().map(Secret::expose),
                    "THUNDERPHONE_TELNYX_API_KEY",
                    "telnyx",
                )?),
                carriers.telnyx_connection_id.clone(),
            );
            if let Some(url) = &carriers.telnyx_api_url {
                telnyx.base_url.clone_from(url);
            }
            Arc::new(TelnyxProvider::new(telnyx).context("invalid Telnyx settings")?)
        }
    })
}

/// The verifier of customers' VoIP connections, by provider, with a gate
/// of its own built from `config.outbound`.
///
/// # Errors
/// When a base URL is invalid.
pub fn verifier(config: &Config) -> anyhow::Result<Arc<dyn VoipVerifier>> {
    verifier_through(config, crate::outbound::gate(&config.outbound))
}

/// The verifier of customers' VoIP connections, reaching SIP trunks
/// through `gate`.
///
/// # Errors
/// When a base URL is invalid.
pub fn verifier_through(
    config: &Config,
    gate: Arc<dyn OutboundGate>,
) -> anyhow::Result<Arc<dyn VoipVerifier>> {
    let carriers = &config.carriers;
    let mut verifiers = VerifiersConfig::new(carriers.inbound_voice_url.clone());
    verifiers
        .twilio
        .inbound_sip_host
        .clone_from(&carriers.inbound_sip_host);
    if let Some(url) = &carriers.twilio_api_url {
        verifiers.twilio.api_base_url.clone_from(url);
    }
    if let Some(url) = &carriers.twilio_trunking_url {
        verifiers.twilio.trunking_base_url.clone_from(url);
    }
    if let Some(url) = &carriers.telnyx_api_url {
        verifiers.telnyx.base_url.clone_from(url);
    }
    verifiers.sip = SipVerifierConfig {
        options_timeout: Duration::from_millis(carriers.sip_options_timeout_ms.max(1)),
        public_address: carriers.sip_public_address.clone(),
    };
    Ok(Arc::new(
        VerifierRouter::from_config(verifiers, gate).context("invalid verifier settings")?,
    ))
}
