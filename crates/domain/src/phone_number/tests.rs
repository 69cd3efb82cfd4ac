use chrono::{TimeZone, Utc};

use super::*;
use crate::{ApiKeyId, TransitionError, UserId};

fn t(secs: i64) -> Timestamp {
    Utc.timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .unwrap_or_default()
}

fn org(n: i64) -> OrgId {
    OrgId::new(n).unwrap_or_else(|_| unreachable!())
}

fn agent(n: i64) -> AgentId {
    AgentId::new(n).unwrap_or_else(|_| unreachable!())
}

fn conn(n: i64) -> VoipConnectionId {
    VoipConnectionId::new(n).unwrap_or_else(|_| unreachable!())
}

fn e164() -> E164 {
    E164::parse("+14155550123").unwrap_or_else(|_| unreachable!())
}

fn id() -> PhoneNumberId {
    PhoneNumberId::new(7).unwrap_or_else(|_| unreachable!())
}

fn demo() -> PhoneNumber {
    NewPhoneNumber::demo(org(1), e164(), t(0)).into_created(id())
}

fn voip() -> PhoneNumber {
    NewPhoneNumber::voip(org(1), e164(), conn(3), t(0)).into_created(id())
}

fn with_status(n: PhoneNumber, status: Status) -> PhoneNumber {
    let mut parts = n.parts().clone();
    parts.status = status;
    parts.rehydrate()
}

fn status_only(s: Status) -> (AgentUpdate, Option<Status>) {
    (AgentUpdate::default(), Some(s))
}

#[test]
fn new_numbers_start_provisioning_at_version_1() {
    let n = demo();
    assert_eq!(n.status(), Status::Provisioning);
    assert_eq!(n.version(), Version::FIRST);
    assert_eq!(n.voip_verification_status(), VerificationStatus::Unverified);
    assert_eq!(voip().voip_connection_id(), Some(conn(3)));
}

#[test]
fn provider_activates_a_provisioning_demo_number() {
    let Ok(up) = demo().activate(t(5)) else {
        panic!("activation is legal")
    };
    assert_eq!(up.change, ChangeKind::Activated);
    assert_eq!(up.number.status(), Status::Active);
    assert_eq!(up.number.version().get(), 2);
    assert_eq!(up.number.updated_at(), t(5));
}

#[test]
fn provider_failure_records_reason() {
    let Ok(up) = demo().fail_provisioning("carrier said no", t(5)) else {
        panic!()
    };
    assert_eq!(up.change, ChangeKind::ProvisioningFailed);
    assert_eq!(up.number.status(), Status::Failed);
    assert_eq!(up.number.status_reason(), Some("carrier said no"));
}

#[test]
fn provider_transitions_only_from_provisioning_demo() {
    for s in [Status::Active, Status::Failed, Status::Released] {
        assert!(with_status(demo(), s).activate(t(1)).is_err(), "{s}");
        assert!(
            with_status(demo(), s).fail_provisioning("x", t(1)).is_err(),
            "{s}"
        );
    }
    assert!(voip().activate(t(1)).is_err());
    assert!(voip().fail_provisioning("x", t(1)).is_err());
}

#[test]
fn clients_may_toggle_active_and_released() {
    let active = with_status(demo(), Status::Active);
    let (a, s) = status_only(Status::Released);
    let Ok(Some(up)) = active.update(a, s, t(1)) else {
        panic!()
    };
    assert_eq!(up.number.status(), Status::Released);
    assert_eq!(up.change, ChangeKind::StatusChanged);
    let (a, s) = status_only(Status::Active);
    let Ok(Some(back)) = up.number.update(a, s, t(2)) else {
        panic!()
    };
    assert_eq!(back.number.status(), Status::Active);
    assert_eq!(back.number.version().get(), 3);
}

#[test]
fn every_other_client_transition_is_refused() {
    for from in Status::ALL {
        for to in Status::ALL {
            let legal = from == to
                || matches!(
                    (from, to),
                    (Status::Active, Status::Released) | (Status::Released, Status::Active)
                );
            let (a, s) = status_only(*to);
            let result = with_status(demo(), *from).update(a, s, t(1));
            if legal {
                assert!(result.is_ok(), "{from} -> {to}");
            } else {
                assert_eq!(
                    result,
                    Err(TransitionError::InvalidStatus {
                        from: *from,
                        to: *to
                    }),
                    "{from} -> {to}"
                );
            }
        }
    }
}

#[test]
fn asking_for_the_current_state_records_nothing() {
    let n = with_status(demo(), Status::Active);
    let (a, s) = status_only(Status::Active);
    assert_eq!(n.update(a, s, t(1)), Ok(None));
    let same_agents = AgentUpdate {
        inbound: Some(None),
        outbound: None,
    };
    assert_eq!(n.update(same_agents, None, t(1)), Ok(None));
}

#[test]
fn assigning_agents_and_clearing_them() {
    let n = demo();
    let set = AgentUpdate {
        inbound: Some(Some(agent(4))),
        outbound: Some(Some(agent(5))),
    };
    let Ok(Some(up)) = n.update(set, None, t(1)) else {
        panic!()
    };
    assert_eq!(up.change, ChangeKind::Assigned);
    assert_eq!(up.number.inbound_agent_id(), Some(agent(4)));
    assert_eq!(up.number.outbound_agent_id(), Some(agent(5)));
    assert!(up.number.uses_agent(agent(5)));
    let clear_inbound = AgentUpdate {
        inbound: Some(None),
        outbound: None,
    };
    let Ok(Some(cleared)) = up.number.update(clear_inbound, None, t(2)) else {
        panic!()
    };
    assert_eq!(cleared.number.inbound_agent_id(), None);
    assert_eq!(
        cleared.number.outbound_agent_id(),
        Some(agent(5)),
        "absent means unchanged"
    );
}

#[test]
fn status_and_agents_together_are_one_status_change() {
    let n = with_status(demo(), Status::Active);
    let set = AgentUpdate {
        inbound: Some(Some(agent(4))),
        outbound: None,
    };
    let Ok(Some(up)) = n.update(set, Some(Status::Released), t(1)) else {
        panic!()
    };
    assert_eq!(up.change, ChangeKind::StatusChanged);
    assert_eq!(up.number.version().get(), 2);
    assert_eq!(up.number.inbound_agent_id(), Some(agent(4)));
}

#[test]
fn transfer_moves_active_or_released_and_clears_agents() {
    for status in [Status::Active, Status::Released] {
        let set = AgentUpdate {
            inbound: Some(Some(agent(4))),
            outbound: Some(Some(agent(5))),
        };
        let Ok(Some(assigned)) = with_status(demo(), status).update(set, None, t(1)) else {
            panic!()
        };
        let Ok(up) = assigned.number.transfer(org(2), None, t(2)) else {
            panic!()
        };
        assert_eq!(up.change, ChangeKind::Transferred);
        assert_eq!(up.number.org_id(), org(2));
        assert_eq!(up.number.status(), status, "demo keeps its status");
        assert_eq!(up.number.inbound_agent_id(), None);
        assert_eq!(up.number.outbound_agent_id(), None);
    }
}

#[test]
fn transfer_refusals() {
    for s in [Status::Provisioning, Status::Failed] {
        assert!(matches!(
            with_status(demo(), s).transfer(org(2), None, t(1)),
            Err(TransitionError::NotAllowedInStatus { .. })
        ));
    }
    let active = with_status(demo(), Status::Active);
    assert_eq!(
        active.transfer(org(1), None, t(1)),
        Err(TransitionError::SameOrg)
    );
    assert_eq!(
        active.transfer(org(2), Some(conn(9)), t(1)),
        Err(TransitionError::ConnectionNotApplicable)
    );
    let voip_active = with_status(voip(), Status::Active);
    assert_eq!(
        voip_active.transfer(org(2), None, t(1)),
        Err(TransitionError::ConnectionRequired)
    );
}

#[test]
fn voip_transfer_needs_reverification() {
    let Ok(verified) = voip().record_verification(Verification::Passed, t(1)) else {
        panic!()
    };
    let Ok(up) = verified.number.transfer(org(2), Some(conn(9)), t(2)) else {
        panic!()
    };
    assert_eq!(up.number.status(), Status::Provisioning);
    assert_eq!(
        up.number.voip_verification_status(),
        VerificationStatus::Unverified
    );
    assert_eq!(up.number.voip_connection_id(), Some(conn(9)));
}

#[test]
fn verification_outcomes() {
    let Ok(ok) = voip().record_verification(Verification::Passed, t(3)) else {
        panic!()
    };
    assert_eq!(ok.change, ChangeKind::Verified);
    assert_eq!(ok.number.status(), Status::Active);
    assert_eq!(
        ok.number.voip_verification_status(),
        VerificationStatus::Verified
    );
    assert_eq!(ok.number.voip_last_verified_at(), Some(t(3)));
    let failed = ok.number.record_verification(
        Verification::Failed {
            reason: "trunk down".into(),
        },
        t(4),
    );
    let Ok(failed) = failed else { panic!() };
    assert_eq!(failed.change, ChangeKind::VerificationFailed);
    assert_eq!(failed.number.status(), Status::Provisioning);
    assert_eq!(
        failed.number.voip_verification_status(),
        VerificationStatus::Failed
    );
    assert_eq!(failed.number.status_reason(), Some("trunk down"));
    assert_eq!(
        failed.number.voip_last_verified_at(),
        Some(t(3)),
        "last success is kept"
    );
}

#[test]
fn verification_refusals() {
    assert!(matches!(
        demo().check_verifiable(),
        Err(TransitionError::NotVerifiable(_))
    ));
    let Some(detached) = voip().detach_connection(t(1)) else {
        panic!()
    };
    assert!(matches!(
        detached.number.check_verifiable(),
        Err(TransitionError::NotVerifiable(_))
    ));
    assert!(matches!(
        with_status(voip(), Status::Released).record_verification(Verification::Passed, t(1)),
        Err(TransitionError::NotAllowedInStatus { .. })
    ));
}

#[test]
fn snapshots_mirror_the_state_after_the_change() {
    let actor = Actor {
        user_id: UserId::new(4).unwrap_or_else(|_| unreachable!()),
        api_key_id: ApiKeyId::new(9).unwrap_or_else(|_| unreachable!()),
    };
    let set = AgentUpdate {
        inbound: Some(Some(agent(12))),
        outbound: None,
    };
    let Ok(Some(up)) = demo().update(set, None, t(8)) else {
        panic!()
    };
    let snap = up.number.snapshot(up.change, Some(actor));
    assert_eq!(snap.version, up.number.version());
    assert_eq!(snap.inbound_agent_id, Some(agent(12)));
    assert_eq!(snap.change, ChangeKind::Assigned);
    assert_eq!(snap.changed_by, Some(actor));
    assert_eq!(snap.created_at, t(8));
}
