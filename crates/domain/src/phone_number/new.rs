//! A number about to be created, and its first version.

use super::{PhoneNumber, PhoneNumberParts};
use crate::{
    E164, OrgId, PhoneNumberId, Source, Status, Timestamp, VerificationStatus, Version,
    VoipConnectionId,
};

/// A number about to be created; the store assigns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoneNumber {
    org_id: OrgId,
    number: E164,
    source: Source,
    voip_connection_id: Option<VoipConnectionId>,
    created_at: Timestamp,
}

impl NewPhoneNumber {
    /// A number from ThunderPhone's pool, waiting for the provider.
    pub fn demo(org_id: OrgId, number: E164, now: Timestamp) -> Self {
        Self {
            org_id,
            number,
            source: Source::Demo,
            voip_connection_id: None,
            created_at: now,
        }
    }

    /// A customer's number imported through one of their VoIP connections.
    pub fn voip(org_id: OrgId, number: E164, connection: VoipConnectionId, now: Timestamp) -> Self {
        Self {
            org_id,
            number,
            source: Source::Voip,
            voip_connection_id: Some(connection),
            created_at: now,
        }
    }

    /// The org that will hold it.
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// The number itself.
    pub fn number(&self) -> &E164 {
        &self.number
    }

    /// Where it comes from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The connection it is imported through (VoIP only).
    pub fn voip_connection_id(&self) -> Option<VoipConnectionId> {
        self.voip_connection_id
    }

    /// Builds version 1 once the store has assigned an id.
    pub fn into_created(self, id: PhoneNumberId) -> PhoneNumber {
        PhoneNumber(PhoneNumberParts {
            id,
            org_id: self.org_id,
            number: self.number,
            source: self.source,
            status: Status::Provisioning,
            inbound_agent_id: None,
            outbound_agent_id: None,
            voip_connection_id: self.voip_connection_id,
            voip_verification_status: VerificationStatus::Unverified,
            voip_last_verified_at: None,
            status_reason: None,
            version: Version::FIRST,
            created_at: self.created_at,
            updated_at: self.created_at,
        })
    }
}
