//! The state machine of API.md §3: each transition returns the new state
//! and the change to record, or a [`TransitionError`].

use super::{PhoneNumber, PhoneNumberParts};
use crate::{
    AgentId, ChangeKind, OrgId, Source, Status, Timestamp, TransitionError, VerificationStatus,
    VoipConnectionId,
};

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

impl PhoneNumber {
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
