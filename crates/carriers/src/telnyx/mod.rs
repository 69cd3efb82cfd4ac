//! Telnyx: [`TelnyxProvider`] orders and releases numbers in ThunderPhone's
//! own Telnyx account; [`TelnyxVerifier`] checks a customer's account.

mod api;
mod provider;
mod verifier;

pub use provider::{TelnyxConfig, TelnyxProvider};
pub use verifier::{TelnyxVerifier, TelnyxVerifierConfig};
