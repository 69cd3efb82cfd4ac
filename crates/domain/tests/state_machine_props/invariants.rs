//! The invariants checked after every step.

use thunderphone_domain::{
    AgentId, ChangeKind, PhoneNumber, Source, Status, Timestamp, TransitionError, Updated,
    VerificationStatus, Version, VoipConnectionId,
};

use crate::ops::*;

/// Invariants that hold for every reachable state.
pub(crate) fn check_state(n: &PhoneNumber, source: Source) {
    let p = n.parts();
    assert_eq!(p.source, source, "the source never changes");
    assert_eq!(p.id.get(), 7, "the id never changes");
    assert_eq!(
        p.number.as_str(),
        "+14155550123",
        "the number never changes"
    );
    assert_eq!(p.created_at, start_time(), "created_at never changes");
    assert!(p.version >= Version::FIRST);
    assert!(p.updated_at >= p.created_at, "updated_at >= created_at");
    match source {
        Source::Demo => {
            assert_eq!(
                p.voip_verification_status,
                VerificationStatus::Unverified,
                "demo numbers are always unverified"
            );
            assert_eq!(
                p.voip_connection_id, None,
                "demo numbers have no connection"
            );
            assert_eq!(p.voip_last_verified_at, None);
        }
        Source::Voip => {
            assert_ne!(
                p.status,
                Status::Failed,
                "voip numbers never reach `failed`"
            );
        }
    }
    let failed_verification = source == Source::Voip
        && p.status == Status::Provisioning
        && p.voip_verification_status == VerificationStatus::Failed;
    assert_eq!(
        p.status_reason.is_some(),
        p.status == Status::Failed || failed_verification,
        "status_reason is set exactly when failed, or provisioning after a failed verification: {p:?}"
    );
    if p.voip_verification_status == VerificationStatus::Verified {
        assert!(p.voip_last_verified_at.is_some());
    }
}

/// Whether the state machine allows `from → to` for a number of `source`.
fn legal_edge(source: Source, from: Status, to: Status) -> bool {
    use Status::{Active, Failed, Provisioning, Released};
    if from == to {
        return true;
    }
    match source {
        Source::Demo => matches!(
            (from, to),
            (Provisioning, Active | Failed) | (Active, Released) | (Released, Active)
        ),
        Source::Voip => matches!(
            (from, to),
            (Provisioning, Active)
                | (Active, Provisioning | Released)
                | (Released, Active | Provisioning)
        ),
    }
}

/// What a successful change must look like, given the operation.
pub(crate) fn check_change(old: &PhoneNumber, op: &Op, now: Timestamp, updated: &Updated) {
    let new = &updated.number;
    let (o, p) = (old.parts(), new.parts());
    assert_eq!(p.version, o.version.next(), "+1 per recorded change");
    assert!(p.updated_at >= o.updated_at, "updated_at never decreases");
    assert_eq!(p.updated_at, now.max(o.updated_at));
    assert!(
        legal_edge(o.source, o.status, p.status),
        "illegal {:?} transition {} → {} by {op:?}",
        o.source,
        o.status,
        p.status
    );
    if p.status == Status::Failed && o.status != Status::Failed {
        assert_eq!(
            o.status,
            Status::Provisioning,
            "`failed` only from provisioning"
        );
    }
    if p.status == Status::Released && o.status != Status::Released {
        assert_eq!(o.status, Status::Active, "`released` only from active");
    }
    if !matches!(op, Op::Transfer { .. }) {
        assert_eq!(p.org_id, o.org_id, "only a transfer moves the number");
    }
    if !matches!(op, Op::Update { .. } | Op::Transfer { .. }) {
        assert_eq!(p.inbound_agent_id, o.inbound_agent_id);
        assert_eq!(p.outbound_agent_id, o.outbound_agent_id);
    }

    let snapshot = new.snapshot(updated.change, Some(actor()));
    assert_eq!(
        snapshot.version,
        new.version(),
        "snapshot version = number version"
    );
    assert_eq!(snapshot.phone_number_id, new.id());
    assert_eq!(snapshot.org_id, new.org_id());
    assert_eq!(snapshot.status, new.status());
    assert_eq!(snapshot.inbound_agent_id, new.inbound_agent_id());
    assert_eq!(snapshot.outbound_agent_id, new.outbound_agent_id());
    assert_eq!(snapshot.voip_connection_id, new.voip_connection_id());
    assert_eq!(
        snapshot.voip_verification_status,
        new.voip_verification_status()
    );
    assert_eq!(snapshot.change, updated.change);
    assert_eq!(snapshot.changed_by, Some(actor()));
    assert_eq!(snapshot.created_at, new.updated_at());
    assert_eq!(new.snapshot(updated.change, None).changed_by, None);

    match op {
        Op::Activate => {
            assert_eq!(o.source, Source::Demo);
            assert_eq!(o.status, Status::Provisioning);
            assert_eq!(p.status, Status::Active);
            assert_eq!(updated.change, ChangeKind::Activated);
        }
        Op::FailProvisioning(reason) => {
            assert_eq!(o.source, Source::Demo);
            assert_eq!(o.status, Status::Provisioning);
            assert_eq!(p.status, Status::Failed);
            assert_eq!(p.status_reason.as_deref(), Some(reason.as_str()));
            assert_eq!(updated.change, ChangeKind::ProvisioningFailed);
        }
        Op::Update {
            inbound,
            outbound,
            status,
        } => {
            let expect_agent = |field: &Option<Option<i64>>, old: Option<AgentId>| match field {
                None => old,
                Some(a) => a.map(|a| AgentId::new(a).unwrap()),
            };
            assert_eq!(
                p.inbound_agent_id,
                expect_agent(inbound, o.inbound_agent_id)
            );
            assert_eq!(
                p.outbound_agent_id,
                expect_agent(outbound, o.outbound_agent_id)
            );
            assert_eq!(p.status, status.unwrap_or(o.status));
            assert_eq!(p.voip_connection_id, o.voip_connection_id);
            assert_eq!(p.voip_verification_status, o.voip_verification_status);
            assert_eq!(p.status_reason, o.status_reason);
            let expected = if p.status == o.status {
                ChangeKind::Assigned
            } else {
                ChangeKind::StatusChanged
            };
            assert_eq!(updated.change, expected);
        }
        Op::Transfer { org, connection } => {
            assert!(matches!(o.status, Status::Active | Status::Released));
            assert_ne!(o.org_id.get(), *org);
            assert_eq!(p.org_id.get(), *org);
            assert_eq!(p.inbound_agent_id, None, "transfer clears agents");
            assert_eq!(p.outbound_agent_id, None, "transfer clears agents");
            assert_eq!(updated.change, ChangeKind::Transferred);
            match o.source {
                Source::Voip => {
                    assert_eq!(p.voip_connection_id.map(VoipConnectionId::get), *connection);
                    assert!(connection.is_some());
                    assert_eq!(p.status, Status::Provisioning);
                    assert_eq!(p.voip_verification_status, VerificationStatus::Unverified);
                    assert_eq!(p.status_reason, None);
                }
                Source::Demo => {
                    assert_eq!(*connection, None);
                    assert_eq!(p.status, o.status);
                }
            }
        }
        Op::Verify { passed, reason } => {
            assert_eq!(o.source, Source::Voip);
            assert!(o.voip_connection_id.is_some());
            assert_ne!(o.status, Status::Released);
            assert_eq!(p.voip_connection_id, o.voip_connection_id);
            if *passed {
                assert_eq!(p.status, Status::Active);
                assert_eq!(p.voip_verification_status, VerificationStatus::Verified);
                assert_eq!(p.voip_last_verified_at, Some(now));
                assert_eq!(p.status_reason, None);
                assert_eq!(updated.change, ChangeKind::Verified);
            } else {
                assert_eq!(p.status, Status::Provisioning);
                assert_eq!(p.voip_verification_status, VerificationStatus::Failed);
                assert_eq!(p.voip_last_verified_at, o.voip_last_verified_at);
                assert_eq!(p.status_reason.as_deref(), Some(reason.as_str()));
                assert_eq!(updated.change, ChangeKind::VerificationFailed);
            }
        }
        Op::DetachConnection => {
            assert!(o.voip_connection_id.is_some());
            assert_eq!(p.voip_connection_id, None);
            assert_eq!(p.status, o.status);
            assert_eq!(updated.change, ChangeKind::Assigned);
        }
        Op::CheckVerifiable => panic!("check_verifiable never changes the number"),
    }
}

/// A refusal or a no-op must have been the only possible answer.
pub(crate) fn check_unchanged(old: &PhoneNumber, op: &Op, refused: Option<&TransitionError>) {
    let o = old.parts();
    let verifiable =
        o.source == Source::Voip && o.voip_connection_id.is_some() && o.status != Status::Released;
    match op {
        Op::Activate | Op::FailProvisioning(_) => {
            assert!(refused.is_some());
            assert!(
                o.source != Source::Demo || o.status != Status::Provisioning,
                "the provider's answer is refused only outside demo provisioning"
            );
        }
        Op::Update {
            inbound,
            outbound,
            status,
        } => match (refused, status) {
            (Some(err), Some(to)) => {
                assert!(
                    *to != o.status
                        && !matches!(
                            (o.status, to),
                            (Status::Active, Status::Released) | (Status::Released, Status::Active)
                        ),
                    "{} → {to} must be allowed",
                    o.status
                );
                assert_eq!(
                    *err,
                    TransitionError::InvalidStatus {
                        from: o.status,
                        to: *to
                    }
                );
            }
            (Some(err), None) => panic!("an update without status was refused: {err}"),
            (None, _) => {
                // A no-op: nothing would have changed.
                assert!(status.is_none_or(|s| s == o.status));
                let same = |field: &Option<Option<i64>>, old: Option<AgentId>| match field {
                    None => true,
                    Some(a) => a.map(|a| AgentId::new(a).unwrap()) == old,
                };
                assert!(same(inbound, o.inbound_agent_id));
                assert!(same(outbound, o.outbound_agent_id));
            }
        },
        Op::Transfer { org, connection } => {
            let movable = matches!(o.status, Status::Active | Status::Released);
            let connection_ok = match o.source {
                Source::Voip => connection.is_some(),
                Source::Demo => connection.is_none(),
            };
            assert!(refused.is_some());
            assert!(
                !movable || o.org_id.get() == *org || !connection_ok,
                "a valid transfer was refused: {refused:?}"
            );
        }
        Op::Verify { .. } => {
            assert!(refused.is_some());
            assert!(!verifiable, "a verifiable number refused its outcome");
        }
        Op::CheckVerifiable => assert_eq!(refused.is_none(), verifiable),
        Op::DetachConnection => {
            assert!(refused.is_none());
            assert_eq!(o.voip_connection_id, None);
        }
    }
}
