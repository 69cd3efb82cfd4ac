//! `App::authorize` (what the HTTP adapter checks before it claims or
//! replays an idempotency key) and the purge of expired idempotency keys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use thunderphone_app::{Action, AppError, IDEMPOTENCY_TTL};
use thunderphone_domain::Role;
use thunderphone_ports::RepoError;

#[tokio::test]
async fn role_gated_actions_need_admin() {
    let app = Mocks::new().app();
    for action in [Action::CreateConnection, Action::DeleteConnection] {
        assert!(matches!(
            app.authorize(&principal(Role::Member), &action).await,
            Err(AppError::Forbidden(_))
        ));
        for role in [Role::Admin, Role::Owner] {
            assert_eq!(app.authorize(&principal(role), &action).await, Ok(()));
        }
    }
    for action in [
        Action::ProvisionNumber,
        Action::VerifyNumber,
        Action::CreateAgent,
        Action::ImportNumbers,
    ] {
        assert_eq!(
            app.authorize(&principal(Role::Member), &action).await,
            Ok(()),
            "{action:?}"
        );
    }
}

#[tokio::test]
async fn a_transfer_needs_admin_in_the_target_org_too() {
    let transfer = Action::TransferNumber {
        target_org_id: org(OTHER_ORG),
    };
    // A member is refused without asking the store.
    let app = Mocks::new().app();
    assert!(matches!(
        app.authorize(&principal(Role::Member), &transfer).await,
        Err(AppError::Forbidden(_))
    ));
    for (target_role, allowed) in [
        (None, false),
        (Some(Role::Member), false),
        (Some(Role::Admin), true),
        (Some(Role::Owner), true),
    ] {
        let mut m = Mocks::new();
        m.tenancy
            .expect_find_role()
            .withf(|o, u| *o == org(OTHER_ORG) && *u == user(USER))
            .times(1)
            .returning(move |_, _| Ok(target_role));
        let result = m.app().authorize(&principal(Role::Admin), &transfer).await;
        assert_eq!(result.is_ok(), allowed, "{target_role:?}: {result:?}");
    }
}

#[tokio::test]
async fn the_purge_deletes_records_older_than_a_day_in_batches() {
    let mut m = Mocks::new();
    let cut_off = t0() - chrono::Duration::from_std(IDEMPOTENCY_TTL).unwrap();
    let mut batches = vec![2, 100, 100].into_iter();
    m.idempotency
        .expect_purge_expired()
        .withf(move |before, limit| *before == cut_off && *limit == 100)
        .times(3)
        .returning(move |_, _| Ok(batches.next_back().unwrap()));
    assert_eq!(m.app().purge_idempotency_keys(100).await, Ok(202));
}

#[tokio::test]
async fn a_store_outage_stops_the_purge_with_unavailable() {
    let mut m = Mocks::new();
    m.idempotency
        .expect_purge_expired()
        .times(1)
        .returning(|_, _| Err(RepoError::Unavailable("down".into())));
    assert!(matches!(
        m.app().purge_idempotency_keys(100).await,
        Err(AppError::Unavailable(_))
    ));
}
