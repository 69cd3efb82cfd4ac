//! `App::delete_number`: If-Match, the conditional delete, and giving demo
//! numbers back to the provider.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use thunderphone_app::{AppError, IfMatch};
use thunderphone_domain::{PhoneNumber, Role, Status};
use thunderphone_ports::RepoError;

const ID: i64 = 7;

fn stored(m: &mut Mocks, number: PhoneNumber) {
    m.numbers
        .expect_find_number()
        .withf(|o, id| *o == org(ORG) && *id == number_id(ID))
        .times(1)
        .returning(move |_, _| Ok(Some(number.clone())));
}

#[tokio::test]
async fn a_demo_number_is_deleted_unconditionally_and_released_to_the_provider() {
    let mut m = Mocks::new();
    let number = demo_number(ID, Status::Active, 3);
    stored(&mut m, number.clone());
    m.numbers
        .expect_delete_number()
        .withf(|o, id, expected, _, _| *o == org(ORG) && *id == number_id(ID) && expected.is_none())
        .times(1)
        .returning(move |_, _, _, _, _| Ok(number.clone()));
    let released = Arc::new(tokio::sync::Notify::new());
    let signal = released.clone();
    m.provider
        .expect_release()
        .withf(|n| n.as_str() == "+14155550100")
        .times(1)
        .returning(move |_| {
            signal.notify_one();
            Ok(())
        });
    let app = m.app();

    assert_eq!(
        app.delete_number(&principal(Role::Member), number_id(ID), None)
            .await,
        Ok(())
    );
    tokio::time::timeout(Duration::from_secs(5), released.notified())
        .await
        .expect("the provider should be told in the background");
}

#[tokio::test]
async fn a_voip_number_is_not_released_to_the_provider() {
    let mut m = Mocks::new();
    let number = voip_number(ID, 5, Status::Active, 2);
    stored(&mut m, number.clone());
    m.numbers
        .expect_delete_number()
        .withf(|_, _, expected, _, _| *expected == Some(version(2)))
        .times(1)
        .returning(move |_, _, _, _, _| Ok(number.clone()));
    // The provider mock expects nothing.
    let app = m.app();

    let result = app
        .delete_number(
            &principal(Role::Member),
            number_id(ID),
            Some(IfMatch::parse("\"2\"")),
        )
        .await;
    tokio::task::yield_now().await;

    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn a_stale_if_match_deletes_nothing() {
    let mut m = Mocks::new();
    stored(&mut m, demo_number(ID, Status::Active, 3));
    // delete_number is not expected.
    let app = m.app();

    let result = app
        .delete_number(
            &principal(Role::Member),
            number_id(ID),
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
async fn a_second_delete_is_not_found() {
    let mut m = Mocks::new();
    m.numbers
        .expect_find_number()
        .times(1)
        .returning(|_, _| Ok(None));
    let app = m.app();

    assert_eq!(
        app.delete_number(&principal(Role::Member), number_id(ID), None)
            .await,
        Err(AppError::NotFound("phone number"))
    );
}

#[tokio::test]
async fn a_delete_racing_another_delete_is_not_found() {
    let mut m = Mocks::new();
    stored(&mut m, demo_number(ID, Status::Active, 3));
    m.numbers
        .expect_delete_number()
        .times(1)
        .returning(|_, _, _, _, _| Err(RepoError::NotFound));
    let app = m.app();

    assert_eq!(
        app.delete_number(&principal(Role::Member), number_id(ID), None)
            .await,
        Err(AppError::NotFound("phone number"))
    );
}
