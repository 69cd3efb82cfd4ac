//! Webhook endpoints and their delivery outbox (API.md §14).
//!
//! Deliveries are written by the stores with the event they deliver, one
//! per enabled endpoint of the event's org subscribed to its type, in the
//! same transaction (a transactional outbox): an event committed is an
//! event that will be attempted, whatever happens to the process after.

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Description, Event, EventTypes, OrgId, Timestamp,
    WebhookEndpoint, WebhookEndpointId, WebhookUrl,
};

use crate::{ListCursor, Page, PageRequest, RepoError, SealedCredentials};

/// An endpoint to create; its signing secret arrives sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NewWebhookEndpoint {
    pub org_id: OrgId,
    pub url: WebhookUrl,
    pub event_types: EventTypes,
    pub description: Option<Description>,
    pub secret: SealedCredentials,
    pub created_at: Timestamp,
}

/// A change of an endpoint; `None` leaves a field as it is. Enabling an
/// endpoint clears its `disabled_reason` and its run of failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EndpointChange {
    pub url: Option<WebhookUrl>,
    pub event_types: Option<EventTypes>,
    pub description: Option<Option<Description>>,
    pub enabled: Option<bool>,
}

/// Which of an endpoint's signing secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretSlot {
    /// The secret that signs every delivery.
    Current,
    /// The secret a rotation replaced, while it still signs.
    Previous,
}

/// A sealed signing secret and where it is stored: the work item of a key
/// rotation (`thunderphone rotate-secrets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// Whose secret.
    pub endpoint_id: WebhookEndpointId,
    /// Which of its secrets.
    pub slot: SecretSlot,
    /// The secret as stored.
    pub sealed: SealedCredentials,
}

/// A delivery leased for an attempt, with what the attempt needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery, as before this attempt.
    pub delivery: Delivery,
    /// Where to send it.
    pub url: WebhookUrl,
    /// The secrets that sign it now: the current one first, then the
    /// previous one while its rotation grace lasts.
    pub secrets: Vec<SealedCredentials>,
    /// The event it delivers.
    pub event: Event,
}

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answered.
    Succeeded {
        /// The status.
        status: u16,
    },
    /// Anything else.
    Failed {
        /// The status, when the receiver answered.
        status: Option<u16>,
        /// What went wrong, in our words (never the receiver's body).
        error: String,
        /// When to try again; `None`: the schedule is spent, the delivery
        /// is `failed`.
        retry_at: Option<Timestamp>,
    },
}

/// One attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The delivery attempted.
    pub delivery_id: DeliveryId,
    /// When the attempt started.
    pub at: Timestamp,
    /// How it went.
    pub outcome: AttemptOutcome,
    /// A failed attempt disables the endpoint (with `disabled_reason`)
    /// when every attempt since this time has failed: the endpoint has
    /// been failing since at least then.
    pub disable_if_failing_since: Timestamp,
}

impl Attempt {
    /// The `disabled_reason` every store writes when an attempt disables
    /// its endpoint, so the wording is one and the same on every store.
    pub const DISABLED_REASON: &'static str = "every delivery attempt failed for 24 hours";
}

/// Endpoints, their secrets, and the delivery outbox.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Creates an endpoint unless its org has `max_per_org` already (the
    /// count and the insert are one atomic step): `Ok(None)` then.
    async fn create_endpoint(
        &self,
        new: NewWebhookEndpoint,
        max_per_org: usize,
    ) -> Result<Option<WebhookEndpoint>, RepoError>;

    /// One page of `org_id`'s endpoints, newest first.
    async fn list_endpoints(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<WebhookEndpoint, ListCursor>, RepoError>;

    /// An endpoint of `org_id`, or `None`.
    async fn find_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, RepoError>;

    /// Changes an endpoint.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when not in `org_id`.
    async fn update_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
        change: EndpointChange,
    ) -> Result<WebhookEndpoint, RepoError>;

    /// Deletes an endpoint and its deliveries.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when not in `org_id`.
    async fn delete_endpoint(&self, org_id: OrgId, id: WebhookEndpointId) -> Result<(), RepoError>;

    /// Makes `secret` the endpoint's current secret; the one it replaces
    /// keeps signing until `previous_until` (an earlier previous one stops).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when not in `org_id`.
    async fn rotate_secret(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
        secret: SealedCredentials,
        previous_until: Timestamp,
    ) -> Result<WebhookEndpoint, RepoError>;

    /// One page of an endpoint's deliveries, newest first, optionally of
    /// one status; the cursor is the last delivery id seen.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the endpoint is not in `org_id`.
    async fn list_deliveries(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest<DeliveryId>,
    ) -> Result<Page<Delivery, DeliveryId>, RepoError>;

    /// Makes a delivery of the endpoint due at `now` again, whatever its
    /// status (`pending` again, the attempt count kept).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the endpoint or the delivery is not in
    /// `org_id` (or the delivery is another endpoint's).
    async fn retry_delivery(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        delivery_id: DeliveryId,
        now: Timestamp,
    ) -> Result<Delivery, RepoError>;

    /// Records a `webhook.test` event and one delivery of it to this
    /// endpoint only, due at once (also when the endpoint is disabled).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the endpoint is not in `org_id`.
    async fn record_test_event(
        &self,
        endpoint_id: WebhookEndpointId,
        event: Event,
    ) -> Result<Delivery, RepoError>;

    /// Leases up to `limit` pending deliveries due at `now` (oldest due
    /// first) of enabled endpoints — or of any endpoint for `webhook.test`
    /// — by moving their due time to `lease_until`: until then no other
    /// caller (in any process) gets them, and if the attempt is never
    /// recorded (a crash) they are due again afterwards.
    async fn lease_due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> Result<Vec<DueDelivery>, RepoError>;

    /// Records an attempt: counts it, sets the status (`succeeded`;
    /// `pending` until `retry_at`; `failed` when there is none), keeps the
    /// status and error, and tracks the endpoint's run of failures (reset
    /// by a success; disabling the endpoint as [`Attempt`] says).
    /// Recording an attempt of a delivery deleted since is not an error.
    async fn record_attempt(&self, attempt: Attempt) -> Result<(), RepoError>;

    /// When the oldest pending delivery of an enabled endpoint (or of a
    /// test event) was created, if any: what the worker still owes. A
    /// disabled endpoint's deliveries wait for it to be enabled again and
    /// do not count.
    async fn oldest_pending(&self) -> Result<Option<Timestamp>, RepoError>;

    /// Up to `limit` signing secrets (of any org) not sealed with
    /// `key_id`: the current ones, and previous ones still signing at
    /// `now`. A previous secret past its grace is never read again and is
    /// left as it is.
    async fn secrets_sealed_with_other_keys(
        &self,
        key_id: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredSecret>, RepoError>;

    /// One signing secret still in use at `now` for every key id that
    /// sealed any (of any org): what the start-up check opens to prove
    /// the configured keys can sign every delivery. Empty when none.
    async fn secret_sample_per_key(
        &self,
        now: Timestamp,
    ) -> Result<Vec<SealedCredentials>, RepoError>;

    /// Replaces a secret with `sealed` if it is still `secret.sealed` (a
    /// concurrent rotation of the endpoint's secret, or its deletion,
    /// wins). Returns whether it replaced it.
    async fn reseal_secret(
        &self,
        secret: StoredSecret,
        sealed: SealedCredentials,
    ) -> Result<bool, RepoError>;

    /// Waits until deliveries may have become due (a commit that wrote
    /// some, in this process or, where the store can tell, in another)
    /// or `timeout` passes, whichever is first.
    async fn wait_for_deliveries(&self, timeout: Duration);
}
