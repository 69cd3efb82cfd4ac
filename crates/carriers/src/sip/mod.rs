//! SIP trunks: [`SipVerifier`] sends SIP OPTIONS to the connection's
//! termination URI and answers a digest challenge with the stored
//! credentials. A SIP trunk has no account API, so only `credentials` and
//! `outbound_trunking` are reported; `number_in_account` and
//! `inbound_routing` cannot be observed over SIP and are left out rather
//! than reported as passed (see docs/CARRIERS.md).

mod details;
mod digest;
mod message;
mod transport;
mod uri;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{
    E164, SipPassword, SipUri, SipUsername, VoipConnection, VoipCredentials,
};
use thunderphone_ports::{CheckOutcome, OutboundGate, VoipVerifier};

use self::digest::{AuthHeader, Authorization};
use self::message::{Exchange, Options, Response};
use self::transport::Channel;
use self::uri::{Target, parse_target};
use crate::router::{CREDENTIALS, OUTBOUND, not_checked, wrong_credentials};

/// How the SIP checks run.
#[derive(Debug, Clone)]
pub struct SipVerifierConfig {
    /// Bound on one OPTIONS transaction; a digest challenge adds a second
    /// one. The lookup is bounded by the outbound gate.
    pub options_timeout: Duration,
    /// The address customers must allow (our public signalling IP), named
    /// in the detail of a 403; `None` names no address.
    pub public_address: Option<String>,
}

impl Default for SipVerifierConfig {
    fn default() -> Self {
        Self {
            options_timeout: Duration::from_secs(3),
            public_address: None,
        }
    }
}

/// Verifies a SIP trunk with OPTIONS (RFC 3261 §11): the trunk answers
/// 2xx, after a digest challenge if it asks for one. The trunk's host is
/// resolved and checked by the outbound gate, and OPTIONS go to exactly
/// the address it returned (API.md §15).
#[derive(Clone)]
pub struct SipVerifier {
    config: SipVerifierConfig,
    gate: Arc<dyn OutboundGate>,
}

impl std::fmt::Debug for SipVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipVerifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Our OPTIONS, one try of it.
struct Try<'a> {
    target: &'a Target,
    exchange: &'a Exchange,
    from_user: Option<&'a SipUsername>,
    branch: String,
    cseq: u32,
    authorization: Option<Authorization>,
}

impl transport::Request for Try<'_> {
    fn render(&self, local: SocketAddr) -> Vec<u8> {
        Options {
            target: self.target,
            local,
            from_user: self.from_user,
            exchange: self.exchange,
            branch: &self.branch,
            cseq: self.cseq,
            authorization: self.authorization.as_ref(),
        }
        .render()
    }

    fn answered_by(&self, response: &Response) -> bool {
        response.answers(self.exchange, self.cseq, &self.branch)
    }
}

/// `n` random bytes as hex, for Call-ID, tags, branches and cnonces.
fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: uniqueness is all these need, not secrecy.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = nanos.to_le_bytes()[i % 16];
        }
    }
    hex::encode(bytes)
}

impl SipVerifier {
    /// A verifier with `config` that reaches trunks through `gate`.
    pub fn new(config: SipVerifierConfig, gate: Arc<dyn OutboundGate>) -> Self {
        Self { config, gate }
    }

    async fn run(
        &self,
        uri: &SipUri,
        username: Option<&SipUsername>,
        password: Option<&SipPassword>,
    ) -> Vec<CheckOutcome> {
        let unreachable = "the trunk could not be reached";
        let target = match parse_target(uri) {
            Ok(target) => target,
            Err(e) => {
                return vec![
                    not_checked(CREDENTIALS, "the termination URI cannot be used"),
                    CheckOutcome::failed(
                        OUTBOUND,
                        format!("the termination URI cannot be checked: {e}"),
                    ),
                ];
            }
        };
        let remote = match self.resolve(&target).await {
            Ok(remote) => remote,
            Err(checks) => return checks,
        };
        let exchange = Exchange {
            call_id: format!("{}@thunderphone", random_hex(12)),
            from_tag: random_hex(6),
        };
        let first = Try {
            target: &target,
            exchange: &exchange,
            from_user: username,
            branch: format!("z9hG4bK{}", random_hex(10)),
            cseq: 1,
            authorization: None,
        };
        let timeout = self.config.options_timeout;
        let opened = Channel::open(target.transport(), remote, timeout).await;
        let mut channel = match opened {
            Ok(channel) => channel,
            Err(failure) => {
                return vec![
                    not_checked(CREDENTIALS, unreachable),
                    CheckOutcome::failed(OUTBOUND, self.failure_detail(&target, &failure)),
                ];
            }
        };
        let response = match channel.transact(&first, timeout).await {
            Ok(response) => response,
            Err(failure) => {
                return vec![
                    not_checked(CREDENTIALS, unreachable),
                    CheckOutcome::failed(OUTBOUND, self.failure_detail(&target, &failure)),
                ];
            }
        };
        let challenge_header = match response.code {
            200..=299 => {
                let credentials = match username {
                    Some(_) => {
                        "the trunk let us in by address without a digest challenge, so the stored credentials were not needed"
                    }
                    None => "no credentials configured; the trunk allowed us by address",
                };
                return vec![
                    CheckOutcome::passed(CREDENTIALS, credentials),
                    self.answered(&target, &response),
                ];
            }
            401 => "www-authenticate",
            407 => "proxy-authenticate",
            _ => {
                return vec![
                    not_checked(
                        CREDENTIALS,
                        "the trunk refused us before asking for credentials",
                    ),
                    self.refused(&target, &response),
                ];
            }
        };
        let (Some(user), Some(password)) = (username, password) else {
            return vec![
                CheckOutcome::failed(
                    CREDENTIALS,
                    "the trunk asks for digest authentication but the connection has no username and password; add the trunk's SIP credentials to the connection",
                ),
                CheckOutcome::failed(
                    OUTBOUND,
                    format!(
                        "trunk answered SIP OPTIONS to {} with {}: it needs credentials",
                        target.shown(),
                        response.status_line()
                    ),
                ),
            ];
        };
        let challenge = match digest::best_challenge(response.headers(challenge_header)) {
            Ok(challenge) => challenge,
            Err(e) => {
                return vec![
                    CheckOutcome::failed(
                        CREDENTIALS,
                        format!("the trunk's digest challenge cannot be answered: {e}"),
                    ),
                    not_checked(OUTBOUND, "the trunk's challenge could not be answered"),
                ];
            }
        };
        let header = if response.code == 407 {
            AuthHeader::ProxyAuthorization
        } else {
            AuthHeader::Authorization
        };
        let authorization =
            digest::authorization(header, &challenge, user, password, &target, &random_hex(8));
        let second = Try {
            branch: format!("z9hG4bK{}", random_hex(10)),
            cseq: 2,
            authorization: Some(authorization),
            ..first
        };
        // Neither the username nor the trunk's realm is quoted: the one is
        // a credential, the other was sent by the peer (API.md §15).
        match channel.transact(&second, timeout).await {
            Ok(answer) if (200..300).contains(&answer.code) => vec![
                CheckOutcome::passed(CREDENTIALS, "the trunk accepted the digest credentials"),
                self.answered(&target, &answer),
            ],
            Ok(answer) if matches!(answer.code, 401 | 407) => vec![
                CheckOutcome::failed(
                    CREDENTIALS,
                    format!(
                        "the trunk rejected the digest credentials with {}; check the username and password",
                        answer.status_line()
                    ),
                ),
                not_checked(OUTBOUND, "the credentials were rejected"),
            ],
            Ok(answer) if answer.code == 403 => vec![
                CheckOutcome::failed(
                    CREDENTIALS,
                    "the trunk refused the digest credentials with 403 Forbidden: they are wrong or not allowed on this trunk",
                ),
                CheckOutcome::failed(
                    OUTBOUND,
                    format!(
                        "trunk refused the authenticated SIP OPTIONS to {} with 403 Forbidden: check the credentials, and that {} is on your SIP allowlist",
                        target.shown(),
                        self.our_address()
                    ),
                ),
            ],
            Ok(answer) => vec![
                not_checked(CREDENTIALS, "the trunk refused the authenticated request"),
                self.refused(&target, &answer),
            ],
            Err(failure) => vec![
                not_checked(
                    CREDENTIALS,
                    "the trunk stopped answering after its challenge",
                ),
                CheckOutcome::failed(OUTBOUND, self.failure_detail(&target, &failure)),
            ],
        }
    }
}

#[async_trait]
impl VoipVerifier for SipVerifier {
    async fn verify(
        &self,
        connection: &VoipConnection,
        credentials: &VoipCredentials,
        _number: &E164,
    ) -> Vec<CheckOutcome> {
        let VoipCredentials::Sip { username, password } = credentials else {
            return wrong_credentials(connection, credentials);
        };
        let Some(uri) = &connection.termination_uri else {
            return vec![
                not_checked(CREDENTIALS, "the connection has no termination URI"),
                CheckOutcome::failed(
                    OUTBOUND,
                    "the connection has no termination URI; recreate it with the trunk's SIP URI, e.g. sip:pbx.example.com:5060",
                ),
            ];
        };
        self.run(uri, username.as_ref(), password.as_ref()).await
    }
}

#[cfg(test)]
mod tests {
    use super::uri::Transport;
    use super::*;

    #[test]
    fn random_ids_differ() {
        assert_ne!(random_hex(8), random_hex(8));
        assert_eq!(random_hex(8).len(), 16);
        let uri = SipUri::parse("sip:h").map_err(|e| e.to_string());
        assert!(matches!(
            uri.map(|u| parse_target(&u).map(|t| t.transport())),
            Ok(Ok(Transport::Udp))
        ));
    }
}
