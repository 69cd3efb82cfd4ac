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
mod idempotency;
mod numbers;
mod operator;
mod precondition;
mod provision;
mod rotation;
mod transfer;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use thunderphone_ports::{
    ActivationQueue, AgentRepository, Clock, CredentialVault, IdempotencyStore, NumberProvider,
    NumberRepository, StoreHealth, TenancyRepository, VoipConnectionRepository, VoipVerifier,
};

pub use activation::ActivationPolicy;
pub use api_keys::{API_KEY_PREFIX, hash_api_key};
pub use authorize::Action;
pub use connections::{ImportRequest, NewConnectionRequest};
pub use error::{AppError, FieldError};
pub use idempotency::{IDEMPOTENCY_TTL, valid_idempotency_key};
pub use numbers::{MAX_WRITE_RETRIES, NumberUpdate, NumberUpdateMode};
pub use operator::IssuedApiKey;
pub use precondition::IfMatch;
pub use provision::{MatchedOn, ProvisionRequest, Provisioned};
pub use rotation::Rotated;
pub use thunderphone_domain::Principal;
pub use thunderphone_ports::Authenticated;
pub use transfer::TransferRequest;
pub use verify::{VerificationReport, Verified};

/// The adapters the application runs on.
#[derive(Clone)]
pub struct Ports {
    /// Numbers, versions and the demo pool.
    pub numbers: Arc<dyn NumberRepository>,
    /// Agents.
    pub agents: Arc<dyn AgentRepository>,
    /// VoIP connections.
    pub connections: Arc<dyn VoipConnectionRepository>,
    /// Orgs, users, memberships, API keys.
    pub tenancy: Arc<dyn TenancyRepository>,
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
}

/// Tunables of the use cases.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How activation jobs retry and give up.
    pub activation: ActivationPolicy,
    /// Bound on one whole VoIP verification (API.md §9: default 10 s).
    pub verification_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            activation: ActivationPolicy::default(),
            verification_timeout: Duration::from_secs(10),
        }
    }
}

/// The service: cheap to clone, shareable across threads.
#[derive(Clone)]
pub struct App {
    ports: Ports,
    settings: Arc<Settings>,
    worker_wakeup: Arc<tokio::sync::Notify>,
}

impl App {
    /// Wires the use cases to the given adapters.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self {
            ports,
            settings: Arc::new(settings),
            worker_wakeup: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The ports, for adapters that need direct access (readiness probes).
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// Ready to serve: the store answers.
    ///
    /// # Errors
    /// `Unavailable` when it does not.
    pub async fn ready(&self) -> Result<(), AppError> {
        Ok(self.ports.health.ping().await?)
    }
}
