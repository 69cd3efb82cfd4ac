//! Carrier adapters: the number providers behind
//! [`thunderphone_ports::NumberProvider`] and the VoIP verifiers behind
//! [`thunderphone_ports::VoipVerifier`], one module per carrier.
//!
//! - [`DemoProvider`]: ThunderPhone's fictional demo pool, no network.
//! - [`TwilioProvider`] / [`TelnyxProvider`]: ThunderPhone's own carrier
//!   account; the store picks among the numbers they offer, they buy and
//!   release them.
//! - [`TwilioVerifier`], [`TelnyxVerifier`], [`SipVerifier`]: check a
//!   customer's own connection; [`VerifierRouter`] picks one by provider.
//!
//! Error policy: vendor and socket errors are translated here, at the edge,
//! into [`thunderphone_ports::ProviderError`] (a 4xx other than 429 is
//! `Rejected`, anything worth retrying is `Unavailable`) or into a failed
//! check whose detail says what the customer should fix. Credentials are
//! held as [`thunderphone_domain::Secret`] and exposed only while a request
//! is built; no message, log line or `Debug` output contains them.

mod demo;
mod http;
mod pool;
mod retry;
mod router;
mod sip;
mod telnyx;
mod twilio;
mod unsupported;

pub use demo::DemoProvider;
pub use retry::RetryPolicy;
pub use router::{VerifierRouter, VerifiersConfig};
pub use sip::{SipVerifier, SipVerifierConfig};
pub use telnyx::{TelnyxConfig, TelnyxProvider, TelnyxVerifier, TelnyxVerifierConfig};
pub use twilio::{TwilioConfig, TwilioProvider, TwilioVerifier, TwilioVerifierConfig};
pub use unsupported::UnsupportedVerifier;

/// A carrier adapter that cannot be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A base URL that is not an absolute `http(s)` URL.
    #[error("{field} must be an absolute http(s) URL, got {value:?}")]
    BadUrl {
        /// The configuration field.
        field: &'static str,
        /// What it held.
        value: String,
    },
    /// A required value that is empty.
    #[error("{0} must not be empty")]
    Missing(&'static str),
    /// The HTTP client could not be set up (TLS roots, resolver).
    #[error("could not build the HTTP client: {0}")]
    HttpClient(String),
}
