//! Ports: the traits the application layer is written against, and the
//! small types they exchange. Adapters (stores, carriers, verifiers)
//! implement them; tests use the `mockall` mocks behind the `mock` feature.
//!
//! Every fallible method documents which error each failure must map to:
//! the application relies on those contracts, and the shared contract suite
//! in `thunderphone-store-contract` checks them for every store.

mod clock;
mod error;
mod events;
mod health;
mod idempotency;
mod keyed;
mod outbound;
mod page;
mod provider;
mod queue;
mod rate_limit;
mod repository;
mod sessions;
mod tenancy;
mod unexpected;
mod vault;
mod verifier;
mod webhook_sender;
mod webhooks;

pub use clock::{Clock, SystemClock};
pub use error::{ProviderError, Reference, RepoError};
pub use events::{EventCursor, EventFilter, EventRepository, new_event_id};
pub use health::{PoolUsage, StoreHealth, StoreStats};
pub use idempotency::{IdempotencyStart, IdempotencyStore, StoredResponse};
pub use keyed::{Authenticated, KeyedReads};
pub use outbound::{LookupFailure, OutboundError, OutboundGate, RefusedRange};
pub use page::{ListCursor, Page, PageLimit, PageRequest};
pub use provider::{Inventory, NumberProvider, NumberQuery};
pub use queue::{ActivationJob, ActivationQueue};
pub use rate_limit::{Quota, RateLimitError, RateLimitStore, Take};
pub use repository::{
    AgentRepository, NewVoipConnection, NumberChange, NumberFilter, NumberRepository,
    VoipConnectionRepository,
};
pub use sessions::{NewSession, SessionStore};
pub use tenancy::{ApiKeyFilter, ListedApiKey, SeededTenant, TenancyRepository, TenantSeed};
pub use thunderphone_domain::CheckOutcome;
pub use unexpected::Unexpected;
pub use vault::{CredentialVault, SealedCredentials, VaultError};
pub use verifier::VoipVerifier;
pub use webhook_sender::{SendOutcome, SigningKey, WebhookRequest, WebhookSender};
pub use webhooks::{
    Attempt, AttemptOutcome, DueDelivery, EndpointChange, NewWebhookEndpoint, SecretSlot,
    StoredSecret, WebhookRepository,
};

#[cfg(feature = "mock")]
pub use {
    clock::MockClock, events::MockEventRepository, health::MockStoreHealth,
    idempotency::MockIdempotencyStore, keyed::MockKeyedReads, outbound::MockOutboundGate,
    provider::MockNumberProvider, queue::MockActivationQueue, rate_limit::MockRateLimitStore,
    repository::MockAgentRepository, repository::MockNumberRepository,
    repository::MockVoipConnectionRepository, sessions::MockSessionStore,
    tenancy::MockTenancyRepository, vault::MockCredentialVault, verifier::MockVoipVerifier,
    webhook_sender::MockWebhookSender, webhooks::MockWebhookRepository,
};
