//! The `PhoneNumber` aggregate and the state machine of API.md §3.
//!
//! Every method that changes a number takes `&self` and returns the new
//! state together with the [`ChangeKind`] to record, or a
//! [`TransitionError`]; the caller persists both atomically (the number and
//! its version snapshot). A change that changes nothing returns `None`, so
//! no version is recorded for it.

use crate::{
    Actor, AgentId, ChangeKind, E164, OrgId, PhoneNumberId, Source, Status, Timestamp,
    TransitionError, VerificationStatus, Version, VersionSnapshot, VoipConnectionId,
};

/// All the fields of a stored number. Adapters use it to restore a number
/// from storage; everyone else reads a [`PhoneNumber`] through its getters.
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

/// A phone number held by an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(PhoneNumberParts);

/// A number about to be created; the store assigns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoneNumber {
    org_id: OrgId,
    number: E164,
    source: Source,
    voip_connection_id: Option<VoipConnectionId>,
    created_at: Timestamp,
}

/// The result of a transition: the new state and what to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    /// The number after the change, its version already incremented.
    pub number: PhoneNumber,
    /// The kind of change, for the version snapshot.
    pub change: ChangeKind,
}

/// A client's agent assignment: `None` leaves a field unchanged,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentUpdate {
    /// New inbound agent.
    pub inbound: Option<Option<AgentId>>,
    /// New outbound agent.
    pub outbound: Option<Option<AgentId>>,
}

/// The outcome of a VoIP verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every check passed.
    Passed,
    /// At least one check failed; `reason` summarises what to fix.
    Failed {
        /// Stored as `status_reason`.
        reason: String,
    },
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

#[allow(missing_docs)] // getters named after the fields of API.md §2
impl PhoneNumber {
    /// Restores a stored number. Adapters only.
    pub fn restore(parts: PhoneNumberParts) -> Self {
        Self(parts)
    }

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

    /// `provisioning → active`: the upstream provider confirmed a demo number.
    pub fn activate(&self, now: Timestamp) -> Result<Updated, TransitionError> {
        self.require_provider_pending(ChangeKind::Activated)?;
        Ok(self.changed(ChangeKind::Activated, now, |p| {
            p.status = Status::Active;
            p.status_reason = None;
        }))
    }

    /// `provisioning → failed`: the upstream provider gave up on a demo number.
    pub fn fail_provisioning(
        &self,
        reason: impl Into<String>,
        now: Timestamp,
    ) -> Result<Updated, TransitionError> {
        self.require_provider_pending(ChangeKind::ProvisioningFailed)?;
        let reason = reason.into();
        Ok(self.changed(ChangeKind::ProvisioningFailed, now, |p| {
            p.status = Status::Failed;
            p.status_reason = Some(reason);
        }))
    }

    fn require_provider_pending(&self, change: ChangeKind) -> Result<(), TransitionError> {
        if self.0.source == Source::Demo && self.0.status == Status::Provisioning {
            Ok(())
        } else {
            Err(TransitionError::NotAllowedInStatus {
                change,
                status: self.0.status,
            })
        }
    }

    /// A client's PUT/PATCH: agents and/or `active ⇄ released`.
    ///
    /// Asking for the current status is not a transition and is accepted.
    /// Returns `Ok(None)` when nothing would change. When both the status and
    /// agents change, one version is recorded as `status_changed`.
    pub fn update(
        &self,
        agents: AgentUpdate,
        status: Option<Status>,
        now: Timestamp,
    ) -> Result<Option<Updated>, TransitionError> {
        let target_status = match status {
            None => self.0.status,
            Some(to) if to == self.0.status => to,
            Some(to @ Status::Released) if self.0.status == Status::Active => to,
            Some(to @ Status::Active) if self.0.status == Status::Released => to,
            Some(to) => {
                return Err(TransitionError::InvalidStatus {
                    from: self.0.status,
                    to,
                });
            }
        };
        let inbound = agents.inbound.unwrap_or(self.0.inbound_agent_id);
        let outbound = agents.outbound.unwrap_or(self.0.outbound_agent_id);
        let status_changes = target_status != self.0.status;
        let agents_change =
            inbound != self.0.inbound_agent_id || outbound != self.0.outbound_agent_id;
        let change = match (status_changes, agents_change) {
            (false, false) => return Ok(None),
            (true, _) => ChangeKind::StatusChanged,
            (false, true) => ChangeKind::Assigned,
        };
        Ok(Some(self.changed(change, now, |p| {
            p.status = target_status;
            p.inbound_agent_id = inbound;
            p.outbound_agent_id = outbound;
        })))
    }

    /// Moves the number to `target_org` (API.md §7). Agents are cleared; a
    /// VoIP number is relinked to `target_connection` and must be verified
    /// again.
    pub fn transfer(
        &self,
        target_org: OrgId,
        target_connection: Option<VoipConnectionId>,
        now: Timestamp,
    ) -> Result<Updated, TransitionError> {
        if !matches!(self.0.status, Status::Active | Status::Released) {
            return Err(TransitionError::NotAllowedInStatus {
                change: ChangeKind::Transferred,
                status: self.0.status,
            });
        }
        if target_org == self.0.org_id {
            return Err(TransitionError::SameOrg);
        }
        let source = self.0.source;
        let connection = match (source, target_connection) {
            (Source::Voip, Some(c)) => Some(c),
            (Source::Voip, None) => return Err(TransitionError::ConnectionRequired),
            (Source::Demo, Some(_)) => return Err(TransitionError::ConnectionNotApplicable),
            (Source::Demo, None) => None,
        };
        Ok(self.changed(ChangeKind::Transferred, now, |p| {
            p.org_id = target_org;
            p.inbound_agent_id = None;
            p.outbound_agent_id = None;
            if source == Source::Voip {
                p.voip_connection_id = connection;
                p.status = Status::Provisioning;
                p.voip_verification_status = VerificationStatus::Unverified;
                p.status_reason = None;
            }
        }))
    }

    /// Checks that a verification may run, before spending time on it.
    pub fn check_verifiable(&self) -> Result<VoipConnectionId, TransitionError> {
        if self.0.source != Source::Voip {
            return Err(TransitionError::NotVerifiable(
                "demo numbers are not verified",
            ));
        }
        let Some(connection) = self.0.voip_connection_id else {
            return Err(TransitionError::NotVerifiable(
                "the number has no VoIP connection; transfer or re-import it through one",
            ));
        };
        if self.0.status == Status::Released {
            return Err(TransitionError::NotAllowedInStatus {
                change: ChangeKind::Verified,
                status: self.0.status,
            });
        }
        Ok(connection)
    }

    /// Records a verification outcome: passed → `active`/`verified`;
    /// failed → `provisioning`/`failed` with the reason.
    pub fn record_verification(
        &self,
        outcome: Verification,
        now: Timestamp,
    ) -> Result<Updated, TransitionError> {
        self.check_verifiable()?;
        Ok(match outcome {
            Verification::Passed => self.changed(ChangeKind::Verified, now, |p| {
                p.status = Status::Active;
                p.voip_verification_status = VerificationStatus::Verified;
                p.voip_last_verified_at = Some(now);
                p.status_reason = None;
            }),
            Verification::Failed { reason } => {
                self.changed(ChangeKind::VerificationFailed, now, |p| {
                    p.status = Status::Provisioning;
                    p.voip_verification_status = VerificationStatus::Failed;
                    p.status_reason = Some(reason);
                })
            }
        })
    }

    /// Unlinks the VoIP connection (the connection was deleted). Recorded as
    /// `assigned`: the link is part of the number's routing.
    pub fn detach_connection(&self, now: Timestamp) -> Option<Updated> {
        self.0.voip_connection_id?;
        Some(self.changed(ChangeKind::Assigned, now, |p| p.voip_connection_id = None))
    }

    fn changed(
        &self,
        change: ChangeKind,
        now: Timestamp,
        apply: impl FnOnce(&mut PhoneNumberParts),
    ) -> Updated {
        let mut parts = self.0.clone();
        apply(&mut parts);
        parts.version = parts.version.next();
        parts.updated_at = now.max(parts.updated_at);
        Updated {
            number: PhoneNumber(parts),
            change,
        }
    }
}

#[cfg(test)]
#[path = "phone_number_tests.rs"]
mod tests;
