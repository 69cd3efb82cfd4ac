//! Reads in the name of a bearer key (`get_number_for_key`,
//! `list_numbers_for_key`): one store call that authenticates and reads;
//! malformed keys never reach the store; the read's outcome comes back
//! with the caller.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use thunderphone_app::{API_KEY_PREFIX, AppError, Authenticated, hash_api_key};
use thunderphone_domain::{Role, Status};
use thunderphone_ports::{NumberFilter, Page, PageLimit, PageRequest, RepoError};

fn well_formed_key() -> String {
    format!("{API_KEY_PREFIX}{}", "Ab3-_".repeat(9).get(..43).unwrap())
}

fn first_page() -> PageRequest<thunderphone_ports::ListCursor> {
    PageRequest::first(PageLimit::new(10).unwrap())
}

#[tokio::test]
async fn malformed_keys_are_unauthorized_without_a_store_call() {
    // The number mock expects nothing: any store call fails the test.
    let app = Mocks::new().app();
    for bearer in ["", "tpk_short", "Bearer x"] {
        assert_eq!(
            app.get_number_for_key(bearer, number_id(1)).await,
            Err(AppError::Unauthorized)
        );
        assert_eq!(
            app.list_numbers_for_key(bearer, NumberFilter::default(), first_page())
                .await
                .map(|_| ()),
            Err(AppError::Unauthorized)
        );
    }
}

#[tokio::test]
async fn a_found_number_comes_with_its_caller() {
    let mut m = Mocks::new();
    let key = well_formed_key();
    let expected_hash = hash_api_key(&key);
    let number = demo_number(7, Status::Active, 3);
    let stored = number.clone();
    m.keyed
        .expect_find_number_for_key()
        .withf(move |hash, id| hash == expected_hash && *id == number_id(7))
        .times(1)
        .returning(move |_, _| {
            Ok(Some(Authenticated {
                principal: principal(Role::Member),
                value: Some(stored.clone()),
            }))
        });
    let app = m.app();

    let read = app.get_number_for_key(&key, number_id(7)).await.unwrap();
    assert_eq!(read.principal, principal(Role::Member));
    assert_eq!(read.value, Ok(number));
}

#[tokio::test]
async fn a_missing_number_is_not_found_for_a_known_caller() {
    let mut m = Mocks::new();
    m.keyed
        .expect_find_number_for_key()
        .times(1)
        .returning(|_, _| {
            Ok(Some(Authenticated {
                principal: principal(Role::Owner),
                value: None,
            }))
        });
    let app = m.app();

    let read = app
        .get_number_for_key(&well_formed_key(), number_id(7))
        .await
        .unwrap();
    assert_eq!(read.principal, principal(Role::Owner));
    assert!(matches!(read.value, Err(AppError::NotFound(_))));
}

#[tokio::test]
async fn an_unknown_key_is_unauthorized_and_store_errors_pass_through() {
    let mut m = Mocks::new();
    m.keyed
        .expect_find_number_for_key()
        .times(1)
        .returning(|_, _| Ok(None));
    m.keyed
        .expect_list_numbers_for_key()
        .times(1)
        .returning(|_, _, _| Err(RepoError::Unavailable("connection refused".into())));
    let app = m.app();

    assert_eq!(
        app.get_number_for_key(&well_formed_key(), number_id(1))
            .await,
        Err(AppError::Unauthorized)
    );
    assert!(matches!(
        app.list_numbers_for_key(&well_formed_key(), NumberFilter::default(), first_page())
            .await,
        Err(AppError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_page_comes_with_its_caller() {
    let mut m = Mocks::new();
    let items = vec![
        demo_number(2, Status::Active, 1),
        demo_number(1, Status::Active, 1),
    ];
    let stored = items.clone();
    let filter = NumberFilter {
        status: Some(Status::Active),
        ..NumberFilter::default()
    };
    let expected_filter = filter.clone();
    m.keyed
        .expect_list_numbers_for_key()
        .withf(move |_, f, page| *f == expected_filter && page.after.is_none())
        .times(1)
        .returning(move |_, _, _| {
            Ok(Some(Authenticated {
                principal: principal(Role::Admin),
                value: Page {
                    items: stored.clone(),
                    next: None,
                },
            }))
        });
    let app = m.app();

    let read = app
        .list_numbers_for_key(&well_formed_key(), filter, first_page())
        .await
        .unwrap();
    assert_eq!(read.principal, principal(Role::Admin));
    assert_eq!(read.value.items, items);
}
