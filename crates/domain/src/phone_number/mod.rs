//! The `PhoneNumber` aggregate and the state machine of API.md §3.
//!
//! Every method that changes a number takes `&self` and returns the new
//! state together with the [`ChangeKind`] to record, or a
//! [`TransitionError`]; the caller persists both atomically (the number and
//! its version snapshot). A change that changes nothing returns `None`, so
//! no version is recorded for it.
//!
//! By concern: the type and its getters here, creation in `new`, the
//! stored form and its rehydration in `parts`, the state machine in
//! `transitions`.

mod new;
mod parts;
mod transitions;

pub use new::NewPhoneNumber;
pub use parts::PhoneNumberParts;
pub use transitions::{AgentUpdate, Updated, Verification};

use crate::{
    Actor, AgentId, ChangeKind, E164, OrgId, PhoneNumberId, Source, Status, Timestamp,
    VerificationStatus, Version, VersionSnapshot, VoipConnectionId,
};

/// A phone number held by an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(PhoneNumberParts);

#[allow(missing_docs)] // getters named after the fields of API.md §2
impl PhoneNumber {
    /// All the fields, for adapters that store them.
    pub fn parts(&self) -> &PhoneNumberParts {
        &self.0
    }

    pub fn id(&self) -> PhoneNumberId {
        self.0.id
    }
    pub fn org_id(&self) -> OrgId {
        self.0.org_id
    }
    pub fn number(&self) -> &E164 {
        &self.0.number
    }
    pub fn source(&self) -> Source {
        self.0.source
    }
    pub fn status(&self) -> Status {
        self.0.status
    }
    pub fn inbound_agent_id(&self) -> Option<AgentId> {
        self.0.inbound_agent_id
    }
    pub fn outbound_agent_id(&self) -> Option<AgentId> {
        self.0.outbound_agent_id
    }
    pub fn voip_connection_id(&self) -> Option<VoipConnectionId> {
        self.0.voip_connection_id
    }
    pub fn voip_verification_status(&self) -> VerificationStatus {
        self.0.voip_verification_status
    }
    pub fn voip_last_verified_at(&self) -> Option<Timestamp> {
        self.0.voip_last_verified_at
    }
    pub fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    pub fn version(&self) -> Version {
        self.0.version
    }
    pub fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    pub fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// True when either agent field refers to `agent`.
    pub fn uses_agent(&self, agent: AgentId) -> bool {
        self.0.inbound_agent_id == Some(agent) || self.0.outbound_agent_id == Some(agent)
    }

    /// The snapshot to store for the change that produced this state.
    pub fn snapshot(&self, change: ChangeKind, changed_by: Option<Actor>) -> VersionSnapshot {
        VersionSnapshot {
            version: self.0.version,
            phone_number_id: self.0.id,
            org_id: self.0.org_id,
            status: self.0.status,
            inbound_agent_id: self.0.inbound_agent_id,
            outbound_agent_id: self.0.outbound_agent_id,
            voip_connection_id: self.0.voip_connection_id,
            voip_verification_status: self.0.voip_verification_status,
            change,
            changed_by,
            created_at: self.0.updated_at,
        }
    }
}

#[cfg(test)]
mod tests;
