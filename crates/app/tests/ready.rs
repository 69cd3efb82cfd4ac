//! `App::ready`: readiness follows the store's health.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use thunderphone_app::AppError;
use thunderphone_ports::RepoError;

#[tokio::test]
async fn ready_when_the_store_answers() {
    let mut m = Mocks::new();
    m.health.expect_ping().times(1).returning(|| Ok(()));

    assert_eq!(m.app().ready().await, Ok(()));
}

#[tokio::test]
async fn not_ready_when_the_store_is_unreachable() {
    let mut m = Mocks::new();
    m.health
        .expect_ping()
        .times(1)
        .returning(|| Err(RepoError::Unavailable("connection refused".into())));

    let result = m.app().ready().await;

    assert!(
        matches!(&result, Err(AppError::Unavailable(message)) if message.contains("connection refused")),
        "{result:?}"
    );
}
