//! Storage ports, split by what they hold (tenancy is in `tenancy.rs`).
//! One store type usually implements all of them (and
//! [`crate::KeyedReads`], the fast path of the hottest reads); the
//! application takes each as its own trait object.

use async_trait::async_trait;
use thunderphone_domain::{
    Actor, Agent, AgentId, AreaCode, DisplayName, E164, NewPhoneNumber, OrgId, PhoneNumber,
    PhoneNumberId, SipUri, Source, Status, Timestamp, Updated, Version, VersionSnapshot,
    VoipConnection, VoipConnectionId, VoipProvider,
};

use crate::{CheckOutcome, ListCursor, Page, PageRequest, RepoError, SealedCredentials};

/// Filters of `GET /v1/phone-numbers`; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NumberFilter {
    pub status: Option<Status>,
    pub source: Option<Source>,
    pub inbound_agent_id: Option<AgentId>,
    pub outbound_agent_id: Option<AgentId>,
    pub voip_connection_id: Option<VoipConnectionId>,
    pub area_code: Option<AreaCode>,
}

impl NumberFilter {
    /// True when `number` passes every filter that is set.
    pub fn matches(&self, number: &PhoneNumber) -> bool {
        self.status.is_none_or(|s| number.status() == s)
            && self.source.is_none_or(|s| number.source() == s)
            && self
                .inbound_agent_id
                .is_none_or(|a| number.inbound_agent_id() == Some(a))
            && self
                .outbound_agent_id
                .is_none_or(|a| number.outbound_agent_id() == Some(a))
            && self
                .voip_connection_id
                .is_none_or(|c| number.voip_connection_id() == Some(c))
            && self
                .area_code
                .is_none_or(|a| number.number().area_code() == Some(a))
    }
}

/// A state change to persist: the new state, its version snapshot and its
/// events are written in one transaction, only if the stored version still
/// equals `expected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberChange {
    /// The version the change was computed from.
    pub expected: Version,
    /// The new state (version already incremented) and the change kind.
    pub updated: Updated,
    /// Who made it; `None` for the system.
    pub actor: Option<Actor>,
    /// The checks of a verification outcome, for its event; empty for
    /// every other change.
    pub checks: Vec<CheckOutcome>,
}

impl NumberChange {
    /// A change that is not a verification outcome.
    pub fn new(expected: Version, updated: Updated, actor: Option<Actor>) -> Self {
        Self {
            expected,
            updated,
            actor,
            checks: Vec::new(),
        }
    }
}

/// A VoIP connection to create. Its credentials arrive sealed: stores
/// never see them in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NewVoipConnection {
    pub org_id: OrgId,
    pub name: DisplayName,
    pub provider: VoipProvider,
    pub termination_uri: Option<SipUri>,
    pub credentials: SealedCredentials,
    pub created_at: Timestamp,
}

/// Phone numbers, their version history, and the demo pool.
///
/// Invariants every implementation keeps: at most one not-deleted phone
/// number holds a given E.164 number, across all orgs and sources; and
/// every write that records a version (and a delete) records, in the same
/// transaction, its events (`Event::of_change`, `Event::created`,
/// `Event::deleted`) and one pending delivery of each event, due at once,
/// to every enabled webhook endpoint of the event's org subscribed to its
/// type (see [`crate::WebhookRepository`]).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait NumberRepository: Send + Sync {
    /// Atomically takes a free demo-pool number (API.md §5) in the first of
    /// `area_codes` that has one, creates it in `org_id` as a `provisioning`
    /// demo number, records version 1 (`created`) and queues its activation
    /// job (see [`crate::ActivationQueue`]), all in one transaction. Within
    /// an area code the lowest free line is taken (under concurrency: the
    /// lowest one no concurrent claim is taking at that moment). Concurrent
    /// calls never get the same number.
    ///
    /// Returns `Ok(None)` when none of the area codes has a free number.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn claim_pool_number(
        &self,
        org_id: OrgId,
        area_codes: &[AreaCode],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError>;

    /// Atomically takes the first of `candidates` that no not-deleted
    /// phone number holds, creates it in `org_id` as a `provisioning` demo
    /// number (ThunderPhone's pool, carrier-backed), records version 1
    /// (`created`) and queues its activation job — the carrier counterpart
    /// of [`NumberRepository::claim_pool_number`], with the same guarantees.
    ///
    /// Returns `Ok(None)` when every candidate is held.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn claim_first_free(
        &self,
        org_id: OrgId,
        candidates: &[E164],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError>;

    /// Creates all `numbers` and their version-1 snapshots, or none.
    ///
    /// # Errors
    /// - [`RepoError::NumbersTaken`] listing every number already held.
    /// - [`RepoError::InvalidReference`] when a VoIP connection does not
    ///   exist in the number's org.
    async fn insert_numbers(
        &self,
        numbers: Vec<NewPhoneNumber>,
        actor: Option<Actor>,
    ) -> Result<Vec<PhoneNumber>, RepoError>;

    /// A not-deleted number of `org_id`, or `None`.
    async fn find_number(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
    ) -> Result<Option<PhoneNumber>, RepoError>;

    /// A not-deleted number of any org, for system work such as activation.
    async fn find_number_unscoped(
        &self,
        id: PhoneNumberId,
    ) -> Result<Option<PhoneNumber>, RepoError>;

    /// One page of `org_id`'s not-deleted numbers matching `filter`, newest
    /// first (`created_at` desc, then id desc).
    async fn list_numbers(
        &self,
        org_id: OrgId,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<PhoneNumber, ListCursor>, RepoError>;

    /// Writes a change and its snapshot atomically, if the number is still
    /// at `change.expected` and not deleted. The referenced agents and VoIP
    /// connection must exist in the number's (new) org.
    ///
    /// # Errors
    /// - [`RepoError::NotFound`] when the number is gone (deleted).
    /// - [`RepoError::VersionConflict`] when another change came first.
    /// - [`RepoError::InvalidReference`] for a missing agent or connection.
    async fn save_change(&self, change: NumberChange) -> Result<PhoneNumber, RepoError>;

    /// Removes a number from its org (soft delete: history is kept and the
    /// number is free again), recording `phone_number.deleted` at `now` by
    /// `actor`. Returns the number as it was.
    ///
    /// # Errors
    /// - [`RepoError::NotFound`] when not in `org_id` or already deleted.
    /// - [`RepoError::VersionConflict`] when `expected` is given and stale.
    async fn delete_number(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        expected: Option<Version>,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<PhoneNumber, RepoError>;

    /// One page of a number's snapshots recorded while `org_id` held it,
    /// newest first; the cursor is the last version seen.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the number is not (or no longer) in `org_id`.
    async fn list_versions(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        page: PageRequest<Version>,
    ) -> Result<Page<VersionSnapshot, Version>, RepoError>;
}

/// Agents of an org.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait AgentRepository: Send + Sync {
    /// Creates an agent.
    async fn create_agent(
        &self,
        org_id: OrgId,
        name: DisplayName,
        now: Timestamp,
    ) -> Result<Agent, RepoError>;

    /// An agent of `org_id`, or `None`.
    async fn find_agent(&self, org_id: OrgId, id: AgentId) -> Result<Option<Agent>, RepoError>;

    /// The agents of `org_id` among `ids`, in no particular order; ids of
    /// other orgs or of no agent are left out. One query for a page's
    /// worth of names, however many agents the org has.
    async fn find_agents(&self, org_id: OrgId, ids: Vec<AgentId>) -> Result<Vec<Agent>, RepoError>;

    /// One page of agents, newest first.
    async fn list_agents(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Agent, ListCursor>, RepoError>;

    /// Renames an agent.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when not in `org_id`.
    async fn rename_agent(
        &self,
        org_id: OrgId,
        id: AgentId,
        name: DisplayName,
    ) -> Result<Agent, RepoError>;

    /// Deletes an agent that no not-deleted number uses, atomically with
    /// that check.
    ///
    /// # Errors
    /// [`RepoError::NotFound`]; [`RepoError::AgentInUse`].
    async fn delete_agent(&self, org_id: OrgId, id: AgentId) -> Result<(), RepoError>;
}

/// VoIP connections and their (write-only) credentials.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait VoipConnectionRepository: Send + Sync {
    /// Stores a connection with its credentials.
    async fn create_connection(&self, new: NewVoipConnection) -> Result<VoipConnection, RepoError>;

    /// A connection of `org_id`, or `None`.
    async fn find_connection(
        &self,
        org_id: OrgId,
        id: VoipConnectionId,
    ) -> Result<Option<VoipConnection>, RepoError>;

    /// A connection with its sealed credentials, for the verifier only.
    async fn find_connection_credentials(
        &self,
        org_id: OrgId,
        id: VoipConnectionId,
    ) -> Result<Option<(VoipConnection, SealedCredentials)>, RepoError>;

    /// Up to `limit` connections (of any org) whose credentials are not
    /// sealed with `key_id`: the work list of a key rotation.
    async fn sealed_with_other_keys(
        &self,
        key_id: &str,
        limit: usize,
    ) -> Result<Vec<(VoipConnectionId, SealedCredentials)>, RepoError>;

    /// One sealed credential for every key id that sealed any stored
    /// credential (of any org), e.g. the newest of each: what a start-up
    /// check opens to prove the configured keys can read everything
    /// stored. Empty when nothing is stored.
    async fn sealed_sample_per_key(&self) -> Result<Vec<SealedCredentials>, RepoError>;

    /// Replaces a connection's sealed credentials if they are still the
    /// `previous` ones (a concurrent rotation or deletion wins). Returns
    /// whether it replaced them.
    async fn reseal(
        &self,
        id: VoipConnectionId,
        previous: SealedCredentials,
        sealed: SealedCredentials,
    ) -> Result<bool, RepoError>;

    /// One page of connections, newest first.
    async fn list_connections(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<VoipConnection, ListCursor>, RepoError>;

    /// Deletes a connection and, in the same transaction, detaches its
    /// numbers (`voip_connection_id = null`), recording a version for each.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when not in `org_id`.
    async fn delete_connection(
        &self,
        org_id: OrgId,
        id: VoipConnectionId,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<(), RepoError>;
}
