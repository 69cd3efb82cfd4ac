//! The verifier used until a real one is configured for a provider: it runs
//! no network checks and says so, so a number is never marked verified
//! without having been checked.

use async_trait::async_trait;
use thunderphone_domain::{E164, VoipConnection, VoipCredentials};
use thunderphone_ports::{CheckOutcome, VoipVerifier};

/// Fails every verification with a detail naming the missing verifier.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnsupportedVerifier;

#[async_trait]
impl VoipVerifier for UnsupportedVerifier {
    async fn verify(
        &self,
        connection: &VoipConnection,
        _: &VoipCredentials,
        _: &E164,
    ) -> Vec<CheckOutcome> {
        vec![CheckOutcome::failed(
            "credentials",
            format!(
                "this server has no verifier for {} connections yet; the number stays unverified",
                connection.provider
            ),
        )]
    }
}
