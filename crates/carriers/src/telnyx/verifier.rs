//! Checks a customer's Telnyx account (API.md §9).

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{E164, Secret, VoipConnection, VoipCredentials};
use thunderphone_ports::{CheckOutcome, VoipVerifier};

use super::api::{self, Account, Connection};
use crate::ConfigError;
use crate::RetryPolicy;
use crate::http::{ApiError, HttpApi, check_base_url};
use crate::router::{
    CREDENTIALS, INBOUND, NUMBER, OUTBOUND, not_checked, vendor_failure, vendor_id,
    wrong_credentials,
};

/// How details name the vendor.
const TELNYX: &str = "Telnyx";

/// Where the Telnyx API is.
#[derive(Debug, Clone)]
pub struct TelnyxVerifierConfig {
    /// API root, `https://api.telnyx.com/v2` unless testing.
    pub base_url: String,
    /// Bound on each HTTP request (the whole run is bounded by the caller).
    pub request_timeout: Duration,
    /// Retries on 429 and 5xx; keep them short, a person is waiting.
    pub retry: RetryPolicy,
}

impl Default for TelnyxVerifierConfig {
    fn default() -> Self {
        Self {
            base_url: api::DEFAULT_BASE.to_owned(),
            request_timeout: Duration::from_secs(3),
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(1),
            },
        }
    }
}

/// Verifies a Telnyx connection: the API key works, the number is in the
/// account, it is assigned to an active connection (so calls reach a SIP
/// destination), and that connection has an outbound voice profile (so
/// calls can be placed through it). Details never quote the API key nor
/// free text from Telnyx (names, error messages); only a connection id of
/// the expected shape (API.md §15).
#[derive(Debug, Clone)]
pub struct TelnyxVerifier {
    http: HttpApi,
    base_url: String,
}

impl TelnyxVerifier {
    /// Builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad URL or an HTTP client that cannot be set up.
    pub fn new(config: TelnyxVerifierConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpApi::new(
                "telnyx",
                config.request_timeout,
                config.retry,
                api::describe_error,
            )?,
            base_url: check_base_url("base_url", &config.base_url)?,
        })
    }

    async fn run(&self, api_key: &Secret, number: &E164) -> Vec<CheckOutcome> {
        let account = Account::new(&self.http, &self.base_url, api_key);
        // The number lookup is the cheapest call every key may make, so it
        // doubles as the credentials check.
        let record = match account.find_number(number).await {
            Ok(record) => record,
            Err(error) => {
                let why = "the API key could not be checked";
                return vec![
                    CheckOutcome::failed(CREDENTIALS, credentials_detail(&error)),
                    not_checked(NUMBER, why),
                    not_checked(INBOUND, why),
                    not_checked(OUTBOUND, why),
                ];
            }
        };
        let credentials = CheckOutcome::passed(CREDENTIALS, "Telnyx accepted the API key");
        let Some(record) = record else {
            let why = "the number is not in the account";
            return vec![
                credentials,
                CheckOutcome::failed(
                    NUMBER,
                    format!(
                        "{number} is not a number of this Telnyx account; buy or port it into the account, or use the API key of the account that has it"
                    ),
                ),
                not_checked(INBOUND, why),
                not_checked(OUTBOUND, why),
            ];
        };
        let number_check =
            CheckOutcome::passed(NUMBER, format!("{number} is in the Telnyx account"));
        let Some(connection_id) = record.connection_id.filter(|c| !c.is_empty()) else {
            return vec![
                credentials,
                number_check,
                CheckOutcome::failed(
                    INBOUND,
                    format!(
                        "{number} is not assigned to a connection in Telnyx, so calls to it go nowhere; assign it to the SIP connection that points to ThunderPhone"
                    ),
                ),
                not_checked(OUTBOUND, "the number has no connection"),
            ];
        };
        let connection = match account.connection(&connection_id).await {
            Ok(connection) => connection,
            Err(error) => {
                let name = connection_name(&connection_id);
                let detail = match error.status() {
                    Some(404) => format!(
                        "{number} is assigned to {name}, which does not exist; assign it to an existing SIP connection"
                    ),
                    _ => format!(
                        "could not read {name}: {}; try again later",
                        vendor_failure(TELNYX, &error)
                    ),
                };
                return vec![
                    credentials,
                    number_check,
                    CheckOutcome::failed(INBOUND, detail),
                    not_checked(OUTBOUND, "the connection could not be read"),
                ];
            }
        };
        let name = connection_name(&connection_id);
        let inbound = if connection.active == Some(false) {
            CheckOutcome::failed(
                INBOUND,
                format!("calls to {number} go to {name}, which is disabled; enable it in Telnyx"),
            )
        } else {
            CheckOutcome::passed(INBOUND, format!("calls to {number} go to {name}"))
        };
        let outbound = self
            .outbound(&account, &connection, &connection_id, &name)
            .await;
        vec![credentials, number_check, inbound, outbound]
    }

    async fn outbound(
        &self,
        account: &Account<'_>,
        connection: &Connection,
        id: &str,
        name: &str,
    ) -> CheckOutcome {
        let profile = match connection
            .outbound_voice_profile_id
            .clone()
            .filter(|p| !p.is_empty())
        {
            Some(profile) => Ok(Some(profile)),
            None => match connection.record_type.as_deref() {
                Some(kind) => account.typed_outbound_profile(kind, id).await,
                None => Ok(None),
            },
        };
        match profile {
            Ok(Some(_)) => CheckOutcome::passed(
                OUTBOUND,
                format!("{name} places calls with an outbound voice profile"),
            ),
            Ok(None) => CheckOutcome::failed(
                OUTBOUND,
                format!(
                    "{name} has no outbound voice profile, so it cannot place calls; assign one under Voice > Outbound Voice Profiles"
                ),
            ),
            Err(error) => CheckOutcome::failed(
                OUTBOUND,
                format!(
                    "could not read the outbound settings of {name}: {}; try again later",
                    vendor_failure(TELNYX, &error)
                ),
            ),
        }
    }
}

/// "connection 123…", or "the number's connection" when the id Telnyx
/// returned is not of the expected shape. Connection names are free text
/// and are not quoted.
fn connection_name(id: &str) -> String {
    vendor_id(id).map_or_else(
        || "the number's connection".to_owned(),
        |id| format!("connection {id}"),
    )
}

fn credentials_detail(error: &ApiError) -> String {
    let failure = vendor_failure(TELNYX, error);
    match error.status() {
        Some(401 | 403) => format!(
            "Telnyx rejected the API key ({failure}); create a v2 API key in the Telnyx portal (Auth > API Keys) and update the connection"
        ),
        _ => format!("could not check the API key: {failure}; try again later"),
    }
}

#[async_trait]
impl VoipVerifier for TelnyxVerifier {
    async fn verify(
        &self,
        connection: &VoipConnection,
        credentials: &VoipCredentials,
        number: &E164,
    ) -> Vec<CheckOutcome> {
        match credentials {
            VoipCredentials::Telnyx { api_key } => self.run(api_key, number).await,
            other => wrong_credentials(connection, other),
        }
    }
}
