//! The application layer: ThunderPhone Numbers' use cases and their
//! authorization, written only against the ports.
//!
//! Embed it by building [`Ports`] from adapters of your choice and calling
//! [`App::new`]; every use case is a method on [`App`] taking the calling
//! [`Principal`] (see `examples/embedded.rs`). Background work (number
//! activation) runs on the ambient tokio runtime.

mod activation;
mod agents;
mod api_keys;
mod authorize;
mod connections;
mod error;
mod events;
mod idempotency;
mod numbers;
mod operator;
mod operator_lists;
mod outbound;
mod precondition;
mod provision;
mod rotation;
mod sessions;
mod transfer;
mod verify;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use thunderphone_ports::{
    ActivationQueue, AgentRepository, Clock, CredentialVault, EventRepository, IdempotencyStore,
    KeyedReads, NumberProvider, NumberRepository, OutboundGate, SessionStore, StoreHealth,
    StoreStats, TenancyRepository, VoipConnectionRepository, VoipVerifier, WebhookRepository,
    WebhookSender,
};

pub use activation::ActivationPolicy;
pub use agents::MAX_NAMED_AGENTS;
pub use api_keys::{API_KEY_PREFIX, hash_api_key};
pub use authorize::Action;
pub use connections::{ImportRequest, NewConnectionRequest};
pub use error::{AppError, FieldError};
pub use events::EVENT_RETENTION;
pub use idempotency::{IDEMPOTENCY_TTL, valid_idempotency_key};
pub use numbers::{MAX_WRITE_RETRIES, NumberUpdate, NumberUpdateMode};
pub use operator::IssuedApiKey;
pub use operator_lists::{CreatedTenant, NewTenant};
pub use outbound::{OutboundBudget, OutboundPermit};
pub use precondition::IfMatch;
pub use provision::{MatchedOn, ProvisionRequest, Provisioned, demo_pool_size, every_area_code};
pub use rotation::{Rotated, UnreadableKey};
pub use sessions::{ConsoleSession, SESSION_TTL};
pub use thunderphone_domain::Principal;
pub use thunderphone_ports::Authenticated;
pub use transfer::TransferRequest;
pub use verify::{VerificationReport, Verified};
pub use webhooks::{
    AttemptCounts, EndpointWithSecret, NewEndpointRequest, RetrySchedule, SECRET_PREFIX,
    ScheduleError, WebhookSettings, event_body,
};

/// The adapters the application runs on.
#[derive(Clone)]
pub struct Ports {
    /// Numbers, versions and the demo pool.
    pub numbers: Arc<dyn NumberRepository>,
    /// The hottest reads, authenticated in the same store call.
    pub keyed: Arc<dyn KeyedReads>,
    /// Agents.
    pub agents: Arc<dyn AgentRepository>,
    /// VoIP connections.
    pub connections: Arc<dyn VoipConnectionRepository>,
    /// Orgs, users, memberships, API keys.
    pub tenancy: Arc<dyn TenancyRepository>,
    /// Console sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// The upstream carrier of the pool.
    pub provider: Arc<dyn NumberProvider>,
    /// Checks VoIP numbers end to end.
    pub verifier: Arc<dyn VoipVerifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Store reachability, for readiness.
    pub health: Arc<dyn StoreHealth>,
    /// Durable activation jobs.
    pub jobs: Arc<dyn ActivationQueue>,
    /// Seals VoIP credentials before they are stored.
    pub vault: Arc<dyn CredentialVault>,
    /// Idempotency keys.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The event log.
    pub events: Arc<dyn EventRepository>,
    /// Webhook endpoints and the delivery outbox.
    pub webhooks: Arc<dyn WebhookRepository>,
    /// Sends webhook attempts.
    pub sender: Arc<dyn WebhookSender>,
    /// Judges the destinations tenants give (webhook URLs).
    pub gate: Arc<dyn OutboundGate>,
}

/// Tunables of the use cases.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How activation jobs retry and give up.
    pub activation: ActivationPolicy,
    /// Bound on one whole VoIP verification (API.md §9: default 10 s).
    pub verification_timeout: Duration,
    /// Most verifications and webhook deliveries in flight on this
    /// instance (API.md §15: default 64).
    pub outbound_concurrency: usize,
    /// Webhook endpoints and deliveries.
    pub webhooks: WebhookSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            activation: ActivationPolicy::default(),
            verification_timeout: Duration::from_secs(10),
            outbound_concurrency: 64,
            webhooks: WebhookSettings::default(),
        }
    }
}

/// The service: cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct App {
    ports: Ports,
    settings: Arc<Settings>,
    worker_wakeup: Arc<tokio::sync::Notify>,
    outbound: OutboundBudget,
    webhook_attempts: Arc<AttemptCounts>,
}

impl App {
    /// Wires the use cases to the given adapters.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self {
            ports,
            outbound: OutboundBudget::new(settings.outbound_concurrency),
            settings: Arc::new(settings),
            worker_wakeup: Arc::new(tokio::sync::Notify::new()),
            webhook_attempts: Arc::new(AttemptCounts::default()),
        }
    }

    /// The instance's budget of outbound work, shared by verifications and
    /// webhook deliveries.
    pub fn outbound(&self) -> &OutboundBudget {
        &self.outbound
    }

    /// Ready to serve: the store answers, within [`PROBE_BOUND`].
    ///
    /// # Errors
    /// `Unavailable` when it does not, or not in time.
    pub async fn ready(&self) -> Result<(), AppError> {
        match tokio::time::timeout(PROBE_BOUND, self.ports.health.ping()).await {
            Ok(answer) => answer.map_err(AppError::store),
            Err(_) => Err(AppError::Unavailable(format!(
                "the store did not answer within {} s",
                PROBE_BOUND.as_secs()
            ))),
        }
    }

    /// The store's counts for metrics, read within [`PROBE_BOUND`];
    /// `None` when the store keeps none.
    ///
    /// # Errors
    /// `Unavailable` when the store does not answer, or not in time.
    pub async fn store_stats(&self) -> Result<Option<StoreStats>, AppError> {
        let now = self.ports.clock.now();
        match tokio::time::timeout(PROBE_BOUND, self.ports.health.stats(now)).await {
            Ok(answer) => answer.map_err(AppError::store),
            Err(_) => Err(AppError::Unavailable(format!(
                "the store did not answer within {} s",
                PROBE_BOUND.as_secs()
            ))),
        }
    }
}

/// How long readiness and metrics wait for the store: load balancers and
/// scrapers give up soon, and a hanging database must read as "not
/// ready", not as a probe that never answers (API.md §17: 2 s).
pub const PROBE_BOUND: Duration = Duration::from_secs(2);
