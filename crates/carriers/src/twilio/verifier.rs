//! Checks a customer's Twilio account (API.md §9).

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{E164, Secret, TwilioAccountSid, VoipConnection, VoipCredentials};
use thunderphone_ports::{CheckOutcome, VoipVerifier};

use super::api::{self, Account, IncomingNumber};
use crate::ConfigError;
use crate::RetryPolicy;
use crate::http::{ApiError, HttpApi, check_base_url};
use crate::router::{
    CREDENTIALS, INBOUND, NUMBER, OUTBOUND, not_checked, vendor_failure, vendor_id,
    wrong_credentials,
};

/// How details name the vendor.
const TWILIO: &str = "Twilio";

/// Where the Twilio APIs are and what "routes to ThunderPhone" means.
#[derive(Debug, Clone)]
pub struct TwilioVerifierConfig {
    /// API root, `https://api.twilio.com` unless testing.
    pub api_base_url: String,
    /// Trunking root, `https://trunking.twilio.com` unless testing.
    pub trunking_base_url: String,
    /// Our inbound-call webhook: a number whose Voice URL is this routes to us.
    pub inbound_voice_url: String,
    /// When set, a number on an Elastic SIP trunk routes to us only if an
    /// enabled origination URL of the trunk contains this host; when unset,
    /// any enabled origination URL passes (we cannot tell which is ours).
    pub inbound_sip_host: Option<String>,
    /// Bound on each HTTP request (the whole run is bounded by the caller).
    pub request_timeout: Duration,
    /// Retries on 429 and 5xx; keep them short, a person is waiting.
    pub retry: RetryPolicy,
}

impl TwilioVerifierConfig {
    /// The production hosts, a 3 s request timeout and at most two tries (a
    /// verification makes at most two rounds of requests within the 10 s the
    /// caller allows).
    pub fn new(inbound_voice_url: impl Into<String>) -> Self {
        Self {
            api_base_url: api::DEFAULT_API_BASE.to_owned(),
            trunking_base_url: api::DEFAULT_TRUNKING_BASE.to_owned(),
            inbound_voice_url: inbound_voice_url.into(),
            inbound_sip_host: None,
            request_timeout: Duration::from_secs(3),
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(1),
            },
        }
    }
}

/// Verifies a Twilio connection: the credentials open the account, the
/// number is in it, calls to it reach ThunderPhone (its Voice URL or an
/// Elastic SIP trunk), and outbound calls are authorised. Details never
/// quote the account SID or token, nor free text from Twilio (names, URLs,
/// error messages); only a trunk SID of the expected shape (API.md §15).
#[derive(Debug, Clone)]
pub struct TwilioVerifier {
    http: HttpApi,
    api_base: String,
    trunking_base: String,
    inbound_voice_url: String,
    inbound_sip_host: Option<String>,
}

impl TwilioVerifier {
    /// Builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad URL or an HTTP client that cannot be set up.
    pub fn new(config: TwilioVerifierConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpApi::new(
                "twilio",
                config.request_timeout,
                config.retry,
                api::describe_error,
            )?,
            api_base: check_base_url("api_base_url", &config.api_base_url)?,
            trunking_base: check_base_url("trunking_base_url", &config.trunking_base_url)?,
            inbound_voice_url: check_base_url("inbound_voice_url", &config.inbound_voice_url)?,
            inbound_sip_host: config.inbound_sip_host,
        })
    }

    async fn run(
        &self,
        sid: &TwilioAccountSid,
        token: &Secret,
        number: &E164,
    ) -> Vec<CheckOutcome> {
        let account = Account::new(&self.http, &self.api_base, sid.as_str(), token);
        let (info, incoming) = tokio::join!(account.fetch(), account.find_incoming(number));
        let credentials = match info {
            Ok(info) if info.status.as_deref().is_none_or(|s| s == "active") => {
                CheckOutcome::passed(
                    CREDENTIALS,
                    "Twilio accepted the account SID and auth token",
                )
            }
            Ok(info) => {
                // Twilio's own words only when they are one we know.
                let status = info
                    .status
                    .as_deref()
                    .filter(|s| matches!(*s, "suspended" | "closed"))
                    .unwrap_or("not active");
                CheckOutcome::failed(
                    CREDENTIALS,
                    format!("the Twilio account is {status}; reactivate it in the Twilio Console"),
                )
            }
            Err(error) => CheckOutcome::failed(CREDENTIALS, credentials_detail(&error)),
        };
        if !credentials.passed {
            return vec![
                credentials,
                not_checked(NUMBER, "the credentials did not work"),
                not_checked(INBOUND, "the credentials did not work"),
                not_checked(OUTBOUND, "the credentials did not work"),
            ];
        }
        let incoming = match incoming {
            Ok(Some(incoming)) => incoming,
            Ok(None) => {
                let why = "the number is not in the account";
                return vec![
                    credentials,
                    CheckOutcome::failed(
                        NUMBER,
                        format!(
                            "{number} is not a phone number of this Twilio account; buy or port it into that account, or use the connection of the account that has it"
                        ),
                    ),
                    not_checked(INBOUND, why),
                    not_checked(OUTBOUND, why),
                ];
            }
            Err(error) => {
                let why = "the number could not be looked up";
                return vec![
                    credentials,
                    CheckOutcome::failed(
                        NUMBER,
                        format!(
                            "could not look {number} up: {}; try again later",
                            vendor_failure(TWILIO, &error)
                        ),
                    ),
                    not_checked(INBOUND, why),
                    not_checked(OUTBOUND, why),
                ];
            }
        };
        let number_check =
            CheckOutcome::passed(NUMBER, format!("{number} is in the Twilio account"));
        let (inbound, outbound) = match incoming.trunk_sid.as_deref().filter(|t| !t.is_empty()) {
            Some(trunk) => tokio::join!(
                self.trunk_inbound(&account, number, trunk),
                self.trunk_outbound(&account, trunk)
            ),
            None => (
                self.webhook_inbound(number, &incoming),
                CheckOutcome::passed(
                    OUTBOUND,
                    "the number is not on an Elastic SIP trunk: agents place calls through Twilio's Voice API with this account's credentials",
                ),
            ),
        };
        vec![credentials, number_check, inbound, outbound]
    }

    fn webhook_inbound(&self, number: &E164, incoming: &IncomingNumber) -> CheckOutcome {
        let ours = self.inbound_voice_url.trim_end_matches('/');
        match incoming
            .voice_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(url) if url.trim_end_matches('/') == ours => CheckOutcome::passed(
                INBOUND,
                format!("calls to {number} go to ThunderPhone ({ours})"),
            ),
            Some(_) => CheckOutcome::failed(
                INBOUND,
                format!(
                    "calls to {number} go to another Voice URL; set the number's Voice URL (\"A call comes in\") to {ours} in the Twilio Console, or attach the number to an Elastic SIP trunk"
                ),
            ),
            None => CheckOutcome::failed(
                INBOUND,
                format!(
                    "{number} has no Voice URL and no SIP trunk, so calls to it go nowhere; set its Voice URL to {ours}"
                ),
            ),
        }
    }

    async fn trunk_inbound(
        &self,
        account: &Account<'_>,
        number: &E164,
        trunk: &str,
    ) -> CheckOutcome {
        let urls = match account.origination_urls(&self.trunking_base, trunk).await {
            Ok(urls) => urls,
            Err(error) => return CheckOutcome::failed(INBOUND, trunk_detail(trunk, &error)),
        };
        let named = trunk_name(trunk);
        let enabled: Vec<String> = urls
            .into_iter()
            .filter(|u| u.enabled != Some(false))
            .filter_map(|u| u.sip_url)
            .collect();
        let ours = enabled.iter().find(|url| {
            self.inbound_sip_host.as_deref().is_none_or(|host| {
                url.to_ascii_lowercase()
                    .contains(&host.to_ascii_lowercase())
            })
        });
        match (ours, &self.inbound_sip_host) {
            (Some(_), Some(host)) => CheckOutcome::passed(
                INBOUND,
                format!("calls to {number} go to {named}, which sends them to {host}"),
            ),
            (Some(_), None) => CheckOutcome::passed(
                INBOUND,
                format!("calls to {number} go to {named}, which has an enabled origination URL"),
            ),
            (None, Some(host)) => CheckOutcome::failed(
                INBOUND,
                format!(
                    "{number} is on {named}, but no enabled origination URL of the trunk points to {host}; add sip:{host} as an origination URL"
                ),
            ),
            (None, None) => CheckOutcome::failed(
                INBOUND,
                format!(
                    "{number} is on {named}, which has no enabled origination URL, so calls go nowhere; add ThunderPhone's SIP address as an origination URL"
                ),
            ),
        }
    }

    async fn trunk_outbound(&self, account: &Account<'_>, trunk: &str) -> CheckOutcome {
        let (info, lists) = tokio::join!(
            account.trunk(&self.trunking_base, trunk),
            account.trunk_auth_lists(&self.trunking_base, trunk)
        );
        if let Err(error) = info {
            return CheckOutcome::failed(OUTBOUND, trunk_detail(trunk, &error));
        }
        let named = trunk_name(trunk);
        match lists {
            Ok((0, 0)) => CheckOutcome::failed(
                OUTBOUND,
                format!(
                    "{named} has no credential list and no IP access control list, so it accepts no outbound calls; add a credential list under Termination"
                ),
            ),
            Ok((creds, acls)) => CheckOutcome::passed(
                OUTBOUND,
                format!(
                    "{named} authorises outbound calls with {creds} credential list(s) and {acls} IP access control list(s)"
                ),
            ),
            Err(error) => CheckOutcome::failed(OUTBOUND, trunk_detail(trunk, &error)),
        }
    }
}

/// "Elastic SIP trunk TK…", or "the number's Elastic SIP trunk" when the
/// SID Twilio returned is not of the expected shape.
fn trunk_name(trunk: &str) -> String {
    vendor_id(trunk).map_or_else(
        || "the number's Elastic SIP trunk".to_owned(),
        |sid| format!("Elastic SIP trunk {sid}"),
    )
}

fn credentials_detail(error: &ApiError) -> String {
    let failure = vendor_failure(TWILIO, error);
    match error.status() {
        Some(401 | 403) => format!(
            "Twilio rejected the account SID and auth token ({failure}); copy the Auth Token from the Twilio Console and update the connection"
        ),
        Some(404) => format!(
            "Twilio has no account with this account SID ({failure}); check the account SID (it starts with AC)"
        ),
        _ => format!("could not check the credentials: {failure}; try again later"),
    }
}

fn trunk_detail(trunk: &str, error: &ApiError) -> String {
    let named = trunk_name(trunk);
    let failure = vendor_failure(TWILIO, error);
    match error.status() {
        Some(404) => format!(
            "the number points to {named}, which does not exist; attach the number to an existing trunk"
        ),
        Some(401 | 403) => format!(
            "these credentials cannot read {named} ({failure}); use the credentials of the account that owns the trunk"
        ),
        _ => format!("could not read {named}: {failure}; try again later"),
    }
}

#[async_trait]
impl VoipVerifier for TwilioVerifier {
    async fn verify(
        &self,
        connection: &VoipConnection,
        credentials: &VoipCredentials,
        number: &E164,
    ) -> Vec<CheckOutcome> {
        match credentials {
            VoipCredentials::Twilio {
                account_sid,
                auth_token,
            } => self.run(account_sid, auth_token, number).await,
            other => wrong_credentials(connection, other),
        }
    }
}
