//! Shared fixtures of the use-case tests: an [`App`] built from `mockall`
//! mocks, and domain values built with their constructors.
//!
//! [`Mocks::new`] starts with a mock of every port that expects nothing, so
//! any call a test did not set up fails it ("No matching expectation").
//! Tests set expectations on the mocks they care about, then call
//! [`Mocks::app`]. The clock is the one exception: unless a test replaces
//! it, it answers [`t0`] as often as asked (time is an input, not a side
//! effect).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeZone;
use thunderphone_app::{ActivationPolicy, App, Ports, Settings};
use thunderphone_domain::{
    AgentId, ApiKeyId, AreaCode, DisplayName, E164, NewPhoneNumber, OrgId, PhoneNumber,
    PhoneNumberId, PhoneNumberParts, Principal, Role, Status, Timestamp, UserId, Version,
    VoipConnection, VoipConnectionId, VoipCredentials, VoipProvider,
};
use thunderphone_ports::{
    Inventory, MockActivationQueue, MockAgentRepository, MockClock, MockIdempotencyStore,
    MockKeyedReads, MockNumberProvider, MockNumberRepository, MockStoreHealth,
    MockTenancyRepository, MockVoipConnectionRepository, MockVoipVerifier, NumberChange,
    NumberProvider, VoipVerifier,
};

/// The caller's org.
pub const ORG: i64 = 1;
/// Another org (transfer target, "someone else's" records).
pub const OTHER_ORG: i64 = 2;
/// The caller.
pub const USER: i64 = 10;
/// The caller's API key.
pub const KEY: i64 = 100;

/// The mocks an [`App`] is built from. Every field starts empty.
pub struct Mocks {
    pub numbers: MockNumberRepository,
    /// The keyed reads.
    pub keyed: MockKeyedReads,
    pub agents: MockAgentRepository,
    pub connections: MockVoipConnectionRepository,
    pub tenancy: MockTenancyRepository,
    pub provider: MockNumberProvider,
    pub verifier: MockVoipVerifier,
    pub health: MockStoreHealth,
    /// The activation queue.
    pub jobs: MockActivationQueue,
    /// Idempotency keys.
    pub idempotency: MockIdempotencyStore,
    /// Whether the vault has a key (`true` unless a test says otherwise).
    pub vault_key: bool,
    /// `None`: a clock fixed at [`t0`].
    pub clock: Option<MockClock>,
    pub settings: Settings,
    custom_provider: Option<Arc<dyn NumberProvider>>,
    custom_verifier: Option<Arc<dyn VoipVerifier>>,
}

impl Mocks {
    /// Mocks that expect nothing, and settings with a short activation
    /// policy (see [`policy`]).
    pub fn new() -> Self {
        let mut provider = MockNumberProvider::new();
        // The demo pool, unless a test swaps in a carrier provider.
        provider
            .expect_inventory()
            .return_const(Inventory::DemoPool);
        Self {
            numbers: MockNumberRepository::new(),
            keyed: MockKeyedReads::new(),
            agents: MockAgentRepository::new(),
            connections: MockVoipConnectionRepository::new(),
            tenancy: MockTenancyRepository::new(),
            provider,
            verifier: MockVoipVerifier::new(),
            health: MockStoreHealth::new(),
            jobs: MockActivationQueue::new(),
            idempotency: MockIdempotencyStore::new(),
            vault_key: true,
            clock: None,
            settings: Settings {
                activation: policy(),
                verification_timeout: Duration::from_secs(10),
                ..Settings::default()
            },
            custom_provider: None,
            custom_verifier: None,
        }
    }

    /// Uses a hand-written provider instead of [`Mocks::provider`].
    pub fn with_provider(mut self, provider: Arc<dyn NumberProvider>) -> Self {
        self.custom_provider = Some(provider);
        self
    }

    /// Uses a hand-written verifier instead of [`Mocks::verifier`].
    pub fn with_verifier(mut self, verifier: Arc<dyn VoipVerifier>) -> Self {
        self.custom_verifier = Some(verifier);
        self
    }

    /// The app on these mocks.
    pub fn app(self) -> App {
        let clock = self.clock.unwrap_or_else(|| {
            let mut clock = MockClock::new();
            clock.expect_now().returning(t0);
            clock
        });
        let ports = Ports {
            numbers: Arc::new(self.numbers),
            keyed: Arc::new(self.keyed),
            agents: Arc::new(self.agents),
            connections: Arc::new(self.connections),
            tenancy: Arc::new(self.tenancy),
            provider: self
                .custom_provider
                .unwrap_or_else(|| Arc::new(self.provider)),
            verifier: self
                .custom_verifier
                .unwrap_or_else(|| Arc::new(self.verifier)),
            clock: Arc::new(clock),
            health: Arc::new(self.health),
            jobs: Arc::new(self.jobs),
            idempotency: Arc::new(self.idempotency),
            sessions: Arc::new(thunderphone_ports::MockSessionStore::new()),
            vault: Arc::new(if self.vault_key {
                test_vault()
            } else {
                thunderphone_vault::AesGcmVault::new(thunderphone_vault::KeyRing::empty())
            }),
            events: Arc::new(thunderphone_ports::MockEventRepository::new()),
            webhooks: Arc::new(thunderphone_ports::MockWebhookRepository::new()),
            sender: Arc::new(thunderphone_ports::MockWebhookSender::new()),
            gate: Arc::new(thunderphone_ports::MockOutboundGate::new()),
        };
        App::new(ports, self.settings)
    }

    /// Accepts every `save_change` (answering the new state, as a store
    /// does) and records the changes for the test to inspect.
    pub fn record_saves(&mut self) -> Saves {
        let saves = Saves::default();
        let sink = saves.clone();
        self.numbers.expect_save_change().returning(move |change| {
            let saved = change.updated.number.clone();
            sink.push(change);
            Ok(saved)
        });
        saves
    }
}

impl Default for Mocks {
    fn default() -> Self {
        Self::new()
    }
}

/// The changes a store was asked to save, in order.
#[derive(Clone, Default)]
pub struct Saves(Arc<Mutex<Vec<NumberChange>>>);

impl Saves {
    /// Records a change.
    pub fn push(&self, change: NumberChange) {
        self.0.lock().unwrap().push(change);
    }

    /// Everything saved so far.
    pub fn all(&self) -> Vec<NumberChange> {
        self.0.lock().unwrap().clone()
    }

    /// The one change saved; fails unless exactly one was.
    pub fn only(&self) -> NumberChange {
        let all = self.all();
        assert_eq!(
            all.len(),
            1,
            "expected exactly one save_change, got {all:#?}"
        );
        all.into_iter().next().unwrap()
    }
}

/// Activation policy of the tests: 3 attempts of at most 2 s each, backoff
/// 100 ms doubling up to 1 s.
pub fn policy() -> ActivationPolicy {
    ActivationPolicy {
        attempt_timeout: Duration::from_secs(2),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        poll_interval: Duration::from_millis(50),
        max_in_flight: 8,
    }
}

/// The fixed "now" of the default clock.
pub fn t0() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2025, 3, 14, 15, 9, 26)
        .single()
        .unwrap()
}

/// A timestamp some seconds before [`t0`], for records made earlier.
pub fn earlier(seconds: i64) -> Timestamp {
    t0() - chrono::Duration::seconds(seconds)
}

pub fn org(id: i64) -> OrgId {
    OrgId::new(id).unwrap()
}

pub fn user(id: i64) -> UserId {
    UserId::new(id).unwrap()
}

pub fn agent_id(id: i64) -> AgentId {
    AgentId::new(id).unwrap()
}

pub fn number_id(id: i64) -> PhoneNumberId {
    PhoneNumberId::new(id).unwrap()
}

pub fn connection_id(id: i64) -> VoipConnectionId {
    VoipConnectionId::new(id).unwrap()
}

pub fn version(v: i64) -> Version {
    Version::new(v).unwrap()
}

pub fn e164(s: &str) -> E164 {
    E164::parse(s).unwrap()
}

pub fn area_code(s: &str) -> AreaCode {
    AreaCode::parse(s).unwrap()
}

pub fn name(s: &str) -> DisplayName {
    DisplayName::parse(s).unwrap()
}

/// The caller: user [`USER`] with key [`KEY`] in org [`ORG`].
pub fn principal(role: Role) -> Principal {
    Principal {
        api_key_id: ApiKeyId::new(KEY).unwrap(),
        user_id: user(USER),
        org_id: org(ORG),
        role,
    }
}

/// A freshly provisioned demo number of [`ORG`]: version 1, `provisioning`.
pub fn provisioning_demo(id: i64, number: &str) -> PhoneNumber {
    NewPhoneNumber::demo(org(ORG), e164(number), earlier(60)).into_created(number_id(id))
}

/// A demo number of [`ORG`] in `status` at version `v`.
pub fn demo_number(id: i64, status: Status, v: i64) -> PhoneNumber {
    with(&provisioning_demo(id, "+14155550100"), |p| {
        p.status = status;
        p.version = version(v);
    })
}

/// A VoIP number of [`ORG`] imported through connection `conn`, in
/// `status` at version `v`.
pub fn voip_number(id: i64, conn: i64, status: Status, v: i64) -> PhoneNumber {
    let created = NewPhoneNumber::voip(
        org(ORG),
        e164("+12125552123"),
        connection_id(conn),
        earlier(60),
    )
    .into_created(number_id(id));
    with(&created, |p| {
        p.status = status;
        p.version = version(v);
    })
}

/// `number` with some fields changed, as a store would restore it.
pub fn with(number: &PhoneNumber, change: impl FnOnce(&mut PhoneNumberParts)) -> PhoneNumber {
    let mut parts = number.parts().clone();
    change(&mut parts);
    parts.rehydrate()
}

/// A Twilio connection of `org_id`.
pub fn twilio_connection(id: i64, org_id: i64) -> VoipConnection {
    VoipConnection {
        id: connection_id(id),
        org_id: org(org_id),
        name: name("Main Twilio"),
        provider: VoipProvider::Twilio,
        termination_uri: None,
        created_at: earlier(3600),
    }
}

/// Credentials matching [`twilio_connection`].
pub fn twilio_credentials() -> VoipCredentials {
    VoipCredentials::Twilio {
        account_sid: thunderphone_domain::TwilioAccountSid::parse(
            "AC0123456789abcdef0123456789abcdef",
        )
        .unwrap(),
        auth_token: thunderphone_domain::Secret::new("token"),
    }
}

/// A real vault with a fixed test key: sealing is cheap and exercising the
/// real thing beats a mock here.
pub fn test_vault() -> thunderphone_vault::AesGcmVault {
    let ring =
        thunderphone_vault::KeyRing::parse("test:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .unwrap();
    thunderphone_vault::AesGcmVault::new(ring)
}

/// [`twilio_credentials`] sealed with [`test_vault`], as a store holds them.
pub fn sealed_twilio_credentials() -> thunderphone_ports::SealedCredentials {
    use thunderphone_ports::CredentialVault;
    test_vault().seal(&twilio_credentials()).unwrap()
}
