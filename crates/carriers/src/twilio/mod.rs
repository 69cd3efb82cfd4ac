//! Twilio: [`TwilioProvider`] buys and releases numbers in ThunderPhone's
//! own Twilio account; [`TwilioVerifier`] checks a customer's account.

mod api;
mod provider;
mod verifier;

pub use provider::{TwilioConfig, TwilioProvider};
pub use verifier::{TwilioVerifier, TwilioVerifierConfig};
