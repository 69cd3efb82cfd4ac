//! Saving a change: the version read, If-Match, lost races and retries.

use mockall::Sequence;
use thunderphone_app::{AppError, IfMatch};
use thunderphone_domain::{ChangeKind, Role, Status};
use thunderphone_ports::RepoError;

use crate::common::*;
use crate::*;

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
