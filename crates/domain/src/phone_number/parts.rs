//! The stored form of a number, and the one way back from it.

use super::PhoneNumber;
use crate::{
    AgentId, E164, OrgId, PhoneNumberId, Source, Status, Timestamp, VerificationStatus, Version,
    VoipConnectionId,
};

/// All the fields of a stored number. Stores write them out through
/// [`PhoneNumber::parts`] and rebuild the number with
/// `PhoneNumberParts::rehydrate`; everyone else reads a [`PhoneNumber`]
/// through its getters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are API.md §2, one for one
pub struct PhoneNumberParts {
    pub id: PhoneNumberId,
    pub org_id: OrgId,
    pub number: E164,
    pub source: Source,
    pub status: Status,
    pub inbound_agent_id: Option<AgentId>,
    pub outbound_agent_id: Option<AgentId>,
    pub voip_connection_id: Option<VoipConnectionId>,
    pub voip_verification_status: VerificationStatus,
    pub voip_last_verified_at: Option<Timestamp>,
    pub status_reason: Option<String>,
    pub version: Version,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl PhoneNumberParts {
    /// Rebuilds a number a store has read back: it takes the fields as they
    /// are and checks no transition, so it is for rehydration only. Every
    /// change goes through the transitions, which is why this exists only
    /// with the `rehydrate` feature, enabled by the stores (and by tests
    /// that need a number in a given state).
    #[cfg(any(test, feature = "rehydrate"))]
    pub fn rehydrate(self) -> PhoneNumber {
        PhoneNumber(self)
    }
}
