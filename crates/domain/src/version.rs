use std::fmt;

use crate::{
    Actor, AgentId, ChangeKind, OrgId, PhoneNumberId, Status, Timestamp, VerificationStatus,
    VoipConnectionId,
};

/// A number's version: 1 at creation, +1 on every recorded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(i64);

impl Version {
    /// The version of a newly created number.
    pub const FIRST: Version = Version(1);

    /// Accepts versions from 1 up.
    pub fn new(value: i64) -> Option<Self> {
        (value >= 1).then_some(Self(value))
    }

    /// The raw value.
    pub fn get(self) -> i64 {
        self.0
    }

    /// The version after this one.
    #[must_use]
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The state of a number right after one recorded change (API.md §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSnapshot {
    /// Equals the number's version after the change.
    pub version: Version,
    /// The number.
    pub phone_number_id: PhoneNumberId,
    /// The org that held the number after the change.
    pub org_id: OrgId,
    /// Status after the change.
    pub status: Status,
    /// Inbound agent after the change.
    pub inbound_agent_id: Option<AgentId>,
    /// Outbound agent after the change.
    pub outbound_agent_id: Option<AgentId>,
    /// Linked connection after the change.
    pub voip_connection_id: Option<VoipConnectionId>,
    /// Verification status after the change.
    pub voip_verification_status: VerificationStatus,
    /// What happened.
    pub change: ChangeKind,
    /// Who did it; `None` for the system.
    pub changed_by: Option<Actor>,
    /// When.
    pub created_at: Timestamp,
}
