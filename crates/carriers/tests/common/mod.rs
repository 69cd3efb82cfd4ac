//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine as _;
use thunderphone_carriers::RetryPolicy;
use thunderphone_domain::{
    DisplayName, E164, OrgId, SipUri, VoipConnection, VoipConnectionId, VoipProvider,
};
use thunderphone_ports::CheckOutcome;

/// A valid number.
pub fn number(s: &str) -> E164 {
    E164::parse(s).expect("valid number")
}

/// Retries that do not slow the tests down.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    }
}

/// A connection of `provider`, with a termination URI for SIP.
pub fn connection(provider: VoipProvider, uri: Option<&str>) -> VoipConnection {
    VoipConnection {
        id: VoipConnectionId::new(1).unwrap(),
        org_id: OrgId::new(1).unwrap(),
        name: DisplayName::parse("Test").unwrap(),
        provider,
        termination_uri: uri.map(|u| SipUri::parse(u).expect("valid SIP URI")),
        created_at: chrono::DateTime::UNIX_EPOCH,
    }
}

/// A SIP connection whose URI was stored under older rules (read back as
/// the stores read it).
pub fn connection_stored(provider: VoipProvider, uri: &str) -> VoipConnection {
    VoipConnection {
        termination_uri: Some(SipUri::parse_stored(uri).expect("readable stored URI")),
        ..connection(provider, None)
    }
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// The outcome named `name`, or a panic listing what there is.
pub fn check<'a>(checks: &'a [CheckOutcome], name: &str) -> &'a CheckOutcome {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
}

/// Asserts that no check detail contains `secret`.
pub fn assert_no_secret(checks: &[CheckOutcome], secret: &str) {
    for c in checks {
        assert!(!c.detail.contains(secret), "secret leaked in {c:?}");
    }
}
