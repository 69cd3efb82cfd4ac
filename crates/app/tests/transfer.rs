//! `App::transfer_number`: roles in both orgs, the target connection, and
//! the one conditional write that moves the number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use thunderphone_app::{AppError, FieldError, IfMatch, TransferRequest};
use thunderphone_domain::{
    ChangeKind, PhoneNumber, Role, Status, VerificationStatus, VoipConnectionId,
};
use thunderphone_ports::{Reference, RepoError};

const ID: i64 = 7;

fn to_other_org(connection: Option<VoipConnectionId>) -> TransferRequest {
    TransferRequest {
        target_org_id: org(OTHER_ORG),
        target_voip_connection_id: connection,
    }
}

fn role_in_target(m: &mut Mocks, role: Option<Role>) {
    m.tenancy
        .expect_find_role()
        .withf(|o, u| *o == org(OTHER_ORG) && *u == user(USER))
        .times(1)
        .returning(move |_, _| Ok(role));
}

fn stored(m: &mut Mocks, number: PhoneNumber) {
    m.numbers
        .expect_find_number()
        .withf(|o, id| *o == org(ORG) && *id == number_id(ID))
        .returning(move |_, _| Ok(Some(number.clone())));
}

fn target_connection_exists(m: &mut Mocks, id: i64) {
    m.connections
        .expect_find_connection()
        .withf(move |o, c| *o == org(OTHER_ORG) && *c == connection_id(id))
        .times(1)
        .returning(move |o, c| Ok(Some(twilio_connection(c.get(), o.get()))));
}

#[tokio::test]
async fn a_member_is_forbidden_before_any_store_call() {
    // Every mock expects nothing.
    let app = Mocks::new().app();

    let result = app
        .transfer_number(
            &principal(Role::Member),
            number_id(ID),
            to_other_org(None),
            None,
        )
        .await;

    assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
}

#[tokio::test]
async fn an_admin_without_a_role_in_the_target_org_is_forbidden() {
    let mut m = Mocks::new();
    role_in_target(&mut m, None);
    // The number is neither read nor written.
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(None),
            None,
        )
        .await;

    let Err(AppError::Forbidden(message)) = &result else {
        panic!("expected Forbidden, got {result:?}");
    };
    assert!(message.contains("target org"), "{message}");
}

#[tokio::test]
async fn a_member_of_the_target_org_is_forbidden() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Member));
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Owner),
            number_id(ID),
            to_other_org(None),
            None,
        )
        .await;

    assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
}

#[tokio::test]
async fn a_connection_outside_the_target_org_is_a_validation_error() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Admin));
    m.connections
        .expect_find_connection()
        .withf(|o, c| *o == org(OTHER_ORG) && *c == connection_id(5))
        .times(1)
        .returning(|_, _| Ok(None));
    // The number is neither read nor written.
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(Some(connection_id(5))),
            None,
        )
        .await;

    let Err(AppError::Validation(errors)) = &result else {
        panic!("expected Validation, got {result:?}");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "target_voip_connection_id");
}

#[tokio::test]
async fn a_demo_number_moves_with_its_agents_cleared() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Owner));
    stored(
        &mut m,
        with(&demo_number(ID, Status::Active, 2), |p| {
            p.inbound_agent_id = Some(agent_id(3));
            p.outbound_agent_id = Some(agent_id(4));
        }),
    );
    let saves = m.record_saves();
    let app = m.app();
    let caller = principal(Role::Admin);

    let moved = app
        .transfer_number(&caller, number_id(ID), to_other_org(None), None)
        .await
        .unwrap();

    assert_eq!(moved.org_id(), org(OTHER_ORG));
    assert_eq!(moved.status(), Status::Active);
    assert_eq!(moved.inbound_agent_id(), None);
    assert_eq!(moved.outbound_agent_id(), None);
    let change = saves.only();
    assert_eq!(change.expected, version(2));
    assert_eq!(change.updated.change, ChangeKind::Transferred);
    assert_eq!(change.updated.number.version(), version(3));
    assert_eq!(change.actor, Some(caller.actor()));
}

#[tokio::test]
async fn a_voip_number_is_relinked_and_must_be_verified_again() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Admin));
    target_connection_exists(&mut m, 8);
    stored(
        &mut m,
        with(&voip_number(ID, 5, Status::Active, 4), |p| {
            p.voip_verification_status = VerificationStatus::Verified;
        }),
    );
    let saves = m.record_saves();
    let app = m.app();

    let moved = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(Some(connection_id(8))),
            Some(IfMatch::parse("\"4\"")),
        )
        .await
        .unwrap();

    assert_eq!(moved.org_id(), org(OTHER_ORG));
    assert_eq!(moved.voip_connection_id(), Some(connection_id(8)));
    assert_eq!(moved.status(), Status::Provisioning);
    assert_eq!(
        moved.voip_verification_status(),
        VerificationStatus::Unverified
    );
    assert_eq!(saves.only().updated.change, ChangeKind::Transferred);
}

#[tokio::test]
async fn a_voip_number_needs_a_target_connection() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Admin));
    stored(&mut m, voip_number(ID, 5, Status::Active, 4));
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(None),
            None,
        )
        .await;

    let Err(AppError::Validation(errors)) = &result else {
        panic!("expected Validation, got {result:?}");
    };
    assert_eq!(errors[0].field, "target_voip_connection_id");
}

#[tokio::test]
async fn a_connection_deleted_before_the_write_is_reported_on_the_target_field() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Admin));
    target_connection_exists(&mut m, 8);
    stored(&mut m, voip_number(ID, 5, Status::Active, 4));
    m.numbers
        .expect_save_change()
        .times(1)
        .returning(|_| Err(RepoError::InvalidReference(Reference::VoipConnection(8))));
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(Some(connection_id(8))),
            None,
        )
        .await;

    assert_eq!(
        result,
        Err(AppError::Validation(vec![FieldError::new(
            "target_voip_connection_id",
            "is not a VoIP connection of the target org"
        )]))
    );
}

#[tokio::test]
async fn a_provisioning_number_cannot_move() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Admin));
    stored(&mut m, demo_number(ID, Status::Provisioning, 1));
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(None),
            None,
        )
        .await;

    assert!(
        matches!(result, Err(AppError::InvalidStatusTransition(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_transfer_to_the_same_org_is_a_validation_error() {
    let mut m = Mocks::new();
    m.tenancy
        .expect_find_role()
        .withf(|o, u| *o == org(ORG) && *u == user(USER))
        .times(1)
        .returning(|_, _| Ok(Some(Role::Admin)));
    stored(&mut m, demo_number(ID, Status::Active, 2));
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            TransferRequest {
                target_org_id: org(ORG),
                target_voip_connection_id: None,
            },
            None,
        )
        .await;

    let Err(AppError::Validation(errors)) = &result else {
        panic!("expected Validation, got {result:?}");
    };
    assert_eq!(errors[0].field, "target_org_id");
}

#[tokio::test]
async fn a_stale_if_match_is_precondition_failed() {
    let mut m = Mocks::new();
    role_in_target(&mut m, Some(Role::Admin));
    stored(&mut m, demo_number(ID, Status::Active, 2));
    let app = m.app();

    let result = app
        .transfer_number(
            &principal(Role::Admin),
            number_id(ID),
            to_other_org(None),
            Some(IfMatch::parse("\"1\"")),
        )
        .await;

    assert_eq!(
        result,
        Err(AppError::PreconditionFailed {
            current: version(2)
        })
    );
}
