//! `App::update_number` (PUT/PATCH): If-Match, optimistic retries, agent
//! checks and the status state machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mockall::Sequence;
use thunderphone_app::{AppError, FieldError, IfMatch, NumberUpdate};
use thunderphone_domain::{Agent, AgentUpdate, ChangeKind, PhoneNumber, Role, Status};
use thunderphone_ports::{Reference, RepoError};

const ID: i64 = 7;

fn active_v3() -> PhoneNumber {
    demo_number(ID, Status::Active, 3)
}

/// The store holds `number` for every scoped read by the caller's org.
fn stored(m: &mut Mocks, number: PhoneNumber) {
    m.numbers
        .expect_find_number()
        .withf(|o, id| *o == org(ORG) && *id == number_id(ID))
        .returning(move |_, _| Ok(Some(number.clone())));
}

/// Agent `id` exists in the caller's org.
fn agent_exists(m: &mut Mocks, id: i64) {
    m.agents
        .expect_find_agent()
        .withf(move |o, a| *o == org(ORG) && *a == agent_id(id))
        .returning(move |o, a| {
            Ok(Some(Agent {
                id: a,
                org_id: o,
                name: name("Front desk"),
                created_at: earlier(10),
            }))
        });
}

fn status_only(status: Status) -> NumberUpdate {
    NumberUpdate {
        agents: AgentUpdate::default(),
        status: Some(status),
    }
}

fn assign_inbound(agent: i64) -> NumberUpdate {
    NumberUpdate {
        agents: AgentUpdate {
            inbound: Some(Some(agent_id(agent))),
            outbound: None,
        },
        status: None,
    }
}

#[tokio::test]
async fn a_change_is_saved_against_the_version_read_with_the_caller_as_actor() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    agent_exists(&mut m, 3);
    let saves = m.record_saves();
    let app = m.app();
    let caller = principal(Role::Member);

    let updated = app
        .update_number(&caller, number_id(ID), assign_inbound(3), None)
        .await
        .unwrap();

    assert_eq!(updated.inbound_agent_id(), Some(agent_id(3)));
    assert_eq!(updated.version(), version(4));
    let change = saves.only();
    assert_eq!(change.expected, version(3));
    assert_eq!(change.updated.change, ChangeKind::Assigned);
    assert_eq!(change.actor, Some(caller.actor()));
}

#[tokio::test]
async fn a_matching_if_match_is_accepted() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    let saves = m.record_saves();
    let app = m.app();

    let updated = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            Some(IfMatch::parse("\"3\"")),
        )
        .await
        .unwrap();

    assert_eq!(updated.status(), Status::Released);
    assert_eq!(saves.only().updated.change, ChangeKind::StatusChanged);
}

#[tokio::test]
async fn a_stale_if_match_is_precondition_failed_without_a_save() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    // save_change is not expected.
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            Some(IfMatch::parse("\"2\"")),
        )
        .await;

    assert_eq!(
        result,
        Err(AppError::PreconditionFailed {
            current: version(3)
        })
    );
}

#[tokio::test]
async fn a_malformed_if_match_fails_safe() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            Some(IfMatch::parse("garbage")),
        )
        .await;

    assert!(
        matches!(result, Err(AppError::PreconditionFailed { .. })),
        "{result:?}"
    );
}

/// Two reads: version 3, then version 4 (another writer's change), and a
/// first save that loses the race.
fn lost_race(m: &mut Mocks) -> Saves {
    let v3 = active_v3();
    let v4 = with(&v3, |p| {
        p.outbound_agent_id = Some(agent_id(5));
        p.version = version(4);
    });
    let mut reads = Sequence::new();
    for number in [v3, v4] {
        m.numbers
            .expect_find_number()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_, _| Ok(Some(number.clone())));
    }
    let saves = Saves::default();
    let sink = saves.clone();
    m.numbers.expect_save_change().returning(move |change| {
        let first = sink.all().is_empty();
        let saved = change.updated.number.clone();
        sink.push(change);
        if first {
            Err(RepoError::VersionConflict {
                current: version(4),
            })
        } else {
            Ok(saved)
        }
    });
    saves
}

#[tokio::test]
async fn a_lost_race_without_if_match_is_retried_on_a_fresh_read() {
    let mut m = Mocks::new();
    let saves = lost_race(&mut m);
    let app = m.app();

    let updated = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            None,
        )
        .await
        .unwrap();

    let all = saves.all();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].expected, version(3));
    assert_eq!(all[1].expected, version(4));
    // The retry is computed from the fresh read: the other writer's change
    // is kept.
    assert_eq!(updated.version(), version(5));
    assert_eq!(updated.status(), Status::Released);
    assert_eq!(updated.outbound_agent_id(), Some(agent_id(5)));
}

#[tokio::test]
async fn a_lost_race_with_if_match_star_is_retried_too() {
    let mut m = Mocks::new();
    let saves = lost_race(&mut m);
    let app = m.app();

    let updated = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            Some(IfMatch::Any),
        )
        .await
        .unwrap();

    assert_eq!(saves.all().len(), 2);
    assert_eq!(updated.version(), version(5));
}

#[tokio::test]
async fn a_lost_race_with_a_pinned_if_match_is_precondition_failed() {
    let mut m = Mocks::new();
    let mut seq = Sequence::new();
    m.numbers
        .expect_find_number()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(Some(active_v3())));
    m.numbers
        .expect_save_change()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Err(RepoError::VersionConflict {
                current: version(4),
            })
        });
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            Some(IfMatch::parse("\"3\"")),
        )
        .await;

    assert_eq!(
        result,
        Err(AppError::PreconditionFailed {
            current: version(4)
        })
    );
}

#[tokio::test]
async fn endless_races_give_up_with_unavailable_after_the_retry_budget() {
    let mut m = Mocks::new();
    m.numbers
        .expect_find_number()
        .times(thunderphone_app::MAX_WRITE_RETRIES)
        .returning(|_, _| Ok(Some(active_v3())));
    m.numbers
        .expect_save_change()
        .times(thunderphone_app::MAX_WRITE_RETRIES)
        .returning(|_| {
            Err(RepoError::VersionConflict {
                current: version(4),
            })
        });
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            None,
        )
        .await;

    assert!(
        matches!(result, Err(AppError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_agent_of_another_org_is_invalid_agent_and_nothing_is_saved() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    m.agents
        .expect_find_agent()
        .withf(|o, a| *o == org(ORG) && *a == agent_id(99))
        .times(1)
        .returning(|_, _| Ok(None));
    // No save_change expectation: a save would fail the test.
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            assign_inbound(99),
            None,
        )
        .await;

    let Err(AppError::InvalidAgent(errors)) = result else {
        panic!("expected InvalidAgent, got {result:?}");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "inbound_agent_id");
    assert!(errors[0].message.contains("99"), "{:?}", errors[0]);
}

#[tokio::test]
async fn both_unknown_agents_are_reported() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    m.agents
        .expect_find_agent()
        .times(2)
        .returning(|_, _| Ok(None));
    let app = m.app();

    let update = NumberUpdate {
        agents: AgentUpdate {
            inbound: Some(Some(agent_id(98))),
            outbound: Some(Some(agent_id(99))),
        },
        status: None,
    };
    let result = app
        .update_number(&principal(Role::Member), number_id(ID), update, None)
        .await;

    let Err(AppError::InvalidAgent(errors)) = result else {
        panic!("expected InvalidAgent, got {result:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["inbound_agent_id", "outbound_agent_id"]);
}

#[tokio::test]
async fn clearing_an_agent_needs_no_agent_lookup() {
    let mut m = Mocks::new();
    stored(
        &mut m,
        with(&active_v3(), |p| p.inbound_agent_id = Some(agent_id(3))),
    );
    // The agents mock expects nothing.
    let saves = m.record_saves();
    let app = m.app();

    let update = NumberUpdate {
        agents: AgentUpdate {
            inbound: Some(None),
            outbound: None,
        },
        status: None,
    };
    let updated = app
        .update_number(&principal(Role::Member), number_id(ID), update, None)
        .await
        .unwrap();

    assert_eq!(updated.inbound_agent_id(), None);
    assert_eq!(saves.only().updated.change, ChangeKind::Assigned);
}

#[tokio::test]
async fn an_agent_deleted_before_the_write_is_invalid_agent() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    agent_exists(&mut m, 3);
    m.numbers
        .expect_save_change()
        .times(1)
        .returning(|_| Err(RepoError::InvalidReference(Reference::InboundAgent(3))));
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            assign_inbound(3),
            None,
        )
        .await;

    assert_eq!(
        result,
        Err(AppError::InvalidAgent(vec![FieldError::new(
            "inbound_agent_id",
            "does not exist in this org"
        )]))
    );
}

#[tokio::test]
async fn a_change_that_changes_nothing_is_not_saved() {
    let mut m = Mocks::new();
    let current = with(&active_v3(), |p| p.inbound_agent_id = Some(agent_id(3)));
    stored(&mut m, current.clone());
    agent_exists(&mut m, 3);
    // save_change is not expected.
    let app = m.app();

    let update = NumberUpdate {
        agents: AgentUpdate {
            inbound: Some(Some(agent_id(3))),
            outbound: None,
        },
        status: Some(Status::Active),
    };
    let result = app
        .update_number(&principal(Role::Member), number_id(ID), update, None)
        .await;

    assert_eq!(result, Ok(current));
}

#[tokio::test]
async fn an_invalid_transition_is_refused_without_a_save() {
    for (from, to) in [
        (Status::Active, Status::Provisioning),
        (Status::Active, Status::Failed),
        (Status::Failed, Status::Active),
        (Status::Provisioning, Status::Released),
    ] {
        let mut m = Mocks::new();
        stored(&mut m, demo_number(ID, from, 3));
        let app = m.app();

        let result = app
            .update_number(
                &principal(Role::Member),
                number_id(ID),
                status_only(to),
                None,
            )
            .await;

        let Err(AppError::InvalidStatusTransition(message)) = &result else {
            panic!("{from} -> {to}: expected InvalidStatusTransition, got {result:?}");
        };
        assert!(
            message.contains(from.as_str()) && message.contains(to.as_str()),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_unknown_number_is_not_found() {
    let mut m = Mocks::new();
    m.numbers
        .expect_find_number()
        .times(1)
        .returning(|_, _| Ok(None));
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            None,
        )
        .await;

    assert_eq!(result, Err(AppError::NotFound("phone number")));
}

#[tokio::test]
async fn a_number_deleted_before_the_write_is_not_found() {
    let mut m = Mocks::new();
    stored(&mut m, active_v3());
    m.numbers
        .expect_save_change()
        .times(1)
        .returning(|_| Err(RepoError::NotFound));
    let app = m.app();

    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            status_only(Status::Released),
            None,
        )
        .await;

    assert_eq!(result, Err(AppError::NotFound("phone number")));
}

#[tokio::test]
async fn an_unknown_number_is_not_found_before_agents_are_checked() {
    let mut m = Mocks::new();
    m.numbers
        .expect_find_number()
        .times(1)
        .returning(|_, _| Ok(None));
    // The agents mock expects nothing: a lookup would fail the test.
    let app = m.app();
    let result = app
        .update_number(
            &principal(Role::Member),
            number_id(ID),
            assign_inbound(99),
            None,
        )
        .await;
    assert!(matches!(result, Err(AppError::NotFound(_))), "{result:?}");
}
