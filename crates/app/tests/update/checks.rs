//! What is checked before a change is saved: agents, no-op changes,
//! transitions, missing numbers.

use thunderphone_app::{AppError, FieldError, NumberUpdate};
use thunderphone_domain::{AgentUpdate, ChangeKind, Role, Status};
use thunderphone_ports::{Reference, RepoError};

use crate::common::*;
use crate::*;

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
