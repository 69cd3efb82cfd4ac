//! [`HttpWebhookSender`]: one attempt, end to end.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderName};
use reqwest::{Client, redirect};
use thunderphone_ports::{OutboundGate, SendOutcome, WebhookRequest, WebhookSender};
use tokio::time::{Instant, timeout_at};

use crate::resolver::{GateResolver, Refusal};
use crate::{excerpt, failure, signature};

/// Names the sender to receivers (and their logs and firewalls).
pub const USER_AGENT: &str = concat!("ThunderPhone-Webhooks/", env!("CARGO_PKG_VERSION"));

const WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
const WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
const WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");

/// Sends webhook attempts over HTTP(S) through the outbound gate.
///
/// Two clients, each built once and shared by every attempt: reqwest's
/// resolver sees a host name but not the scheme, so the `http://` client
/// has a resolver that also demands explicitly allowed addresses.
pub struct HttpWebhookSender {
    gate: Arc<dyn OutboundGate>,
    https: Client,
    http: Client,
    timeout: Duration,
}

impl HttpWebhookSender {
    /// A sender whose every attempt (lookup, connect, TLS, send, read)
    /// ends within `timeout` (API.md §14: 10 s).
    ///
    /// # Errors
    /// When the TLS backend cannot be set up.
    pub fn new(gate: Arc<dyn OutboundGate>, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            https: client(&gate, false).context("building the https webhook client")?,
            http: client(&gate, true).context("building the http webhook client")?,
            gate,
            timeout,
        })
    }

    /// Refuses literal addresses before reqwest sees them: it connects to
    /// a literal without asking the resolver.
    fn check_literal(&self, request: &WebhookRequest) -> Result<(), String> {
        let host = request.url.host();
        match self.gate.check_literal(host) {
            Err(refused) => Err(Refusal::Gate(refused).to_string()),
            Ok(Some(ip)) if !request.url.is_https() && !self.gate.explicitly_allowed(ip) => {
                Err(Refusal::PlainHttp {
                    host: host.to_owned(),
                }
                .to_string())
            }
            Ok(_) => Ok(()),
        }
    }

    async fn attempt(&self, request: &WebhookRequest, deadline: Instant) -> SendOutcome {
        if let Err(error) = self.check_literal(request) {
            return SendOutcome::NotAnswered { error };
        }
        let client = if request.url.is_https() {
            &self.https
        } else {
            &self.http
        };
        let signatures = signature::header(
            &request.keys,
            &request.webhook_id,
            request.timestamp,
            &request.body,
        );
        let sent = client
            .post(request.url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(WEBHOOK_ID, &request.webhook_id)
            .header(WEBHOOK_TIMESTAMP, request.timestamp.to_string())
            .header(WEBHOOK_SIGNATURE, signatures)
            .body(request.body.to_vec())
            .send();
        let response = match timeout_at(deadline, sent).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                return SendOutcome::NotAnswered {
                    error: failure::describe(&error),
                };
            }
            Err(_) => {
                return SendOutcome::NotAnswered {
                    error: failure::timed_out(self.timeout),
                };
            }
        };
        SendOutcome::Answered {
            status: response.status().as_u16(),
            body_excerpt: excerpt::read(response, deadline).await,
        }
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, request: WebhookRequest) -> SendOutcome {
        let deadline = Instant::now() + self.timeout;
        self.attempt(&request, deadline).await
    }
}

/// A client that connects only where `gate` says, follows no redirect,
/// uses no proxy (a proxy would connect for us, unchecked) and never
/// resends on its own (retries are the delivery worker's).
fn client(gate: &Arc<dyn OutboundGate>, plain_http: bool) -> reqwest::Result<Client> {
    Client::builder()
        .dns_resolver(GateResolver::new(Arc::clone(gate), plain_http))
        .redirect(redirect::Policy::none())
        .no_proxy()
        .retry(reqwest::retry::never())
        .https_only(!plain_http)
        .referer(false)
        .user_agent(USER_AGENT)
        .build()
}
