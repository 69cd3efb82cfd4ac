//! Store errors are mapped where the store is called: a `NotFound` names
//! what the call looked for, or is a broken contract; an unexpected
//! failure keeps its cause.

mod common;

use common::*;
use thunderphone_app::AppError;
use thunderphone_domain::Role;
use thunderphone_ports::{PageLimit, PageRequest, RepoError, Unexpected};

#[tokio::test]
async fn a_not_found_names_what_the_call_looked_for() {
    let mut m = Mocks::new();
    m.agents
        .expect_rename_agent()
        .returning(|_, _, _| Err(RepoError::NotFound));
    let app = m.app();

    let renamed = app
        .rename_agent(&principal(Role::Member), agent_id(3), name("Sales"))
        .await;

    assert_eq!(renamed, Err(AppError::NotFound("agent")));
}

#[tokio::test]
async fn a_not_found_where_the_contract_has_none_is_not_a_404() {
    let mut m = Mocks::new();
    m.agents
        .expect_create_agent()
        .returning(|_, _, _| Err(RepoError::NotFound));
    let app = m.app();

    let created = app
        .create_agent(&principal(Role::Member), name("Sales"))
        .await;

    assert!(
        matches!(&created, Err(AppError::Unexpected(_))),
        "{created:?}"
    );
}

#[tokio::test]
async fn an_unexpected_store_failure_reaches_the_caller_with_its_cause() {
    let cause = Unexpected::context("reading agents", std::io::Error::other("socket closed"));
    let stored = cause.clone();
    let mut m = Mocks::new();
    m.agents
        .expect_list_agents()
        .returning(move |_, _| Err(RepoError::Unexpected(stored.clone())));
    let app = m.app();

    let listed = app
        .list_agents(
            &principal(Role::Member),
            PageRequest::first(PageLimit::default()),
        )
        .await;

    let Err(AppError::Unexpected(reported)) = listed else {
        panic!("expected Unexpected, got {listed:?}");
    };
    assert_eq!(reported, cause, "the same failure, not a copy of its text");
    assert_eq!(format!("{reported:#}"), "reading agents: socket closed");
}
