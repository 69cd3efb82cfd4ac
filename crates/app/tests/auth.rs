//! `App::authenticate` and API-key issuing: keys are checked for shape
//! before the store is asked, and only their hash is ever stored or looked
//! up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use thunderphone_app::{API_KEY_PREFIX, AppError, hash_api_key};
use thunderphone_domain::{ApiKey, ApiKeyId, Role};
use thunderphone_ports::{Reference, RepoError};

/// A key of the right shape: the prefix and 43 base64url characters.
fn well_formed_key() -> String {
    format!("{API_KEY_PREFIX}{}", "Ab3-_".repeat(9).get(..43).unwrap())
}

#[tokio::test]
async fn malformed_bearers_are_unauthorized_without_a_store_call() {
    // The tenancy mock expects nothing: any lookup fails the test.
    let app = Mocks::new().app();
    let good = well_formed_key();
    let too_long = format!("{good}A");
    let wrong_prefix = good.replacen(API_KEY_PREFIX, "tpx_", 1);
    let bad_char = format!("{}!", &good[..good.len() - 1]);
    let with_scheme = format!("Bearer {good}");
    for bearer in [
        "",
        "tpk_",
        "tpk_short",
        &good[..good.len() - 1],
        &too_long,
        &wrong_prefix,
        &bad_char,
        &with_scheme,
    ] {
        assert_eq!(
            app.authenticate(bearer).await,
            Err(AppError::Unauthorized),
            "{bearer:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_key_is_unauthorized() {
    let mut m = Mocks::new();
    let key = well_formed_key();
    let expected_hash = hash_api_key(&key);
    m.tenancy
        .expect_authenticate()
        .withf(move |hash| hash == expected_hash)
        .times(1)
        .returning(|_| Ok(None));
    let app = m.app();

    assert_eq!(app.authenticate(&key).await, Err(AppError::Unauthorized));
}

#[tokio::test]
async fn a_known_key_is_its_principal() {
    let mut m = Mocks::new();
    let key = well_formed_key();
    let expected_hash = hash_api_key(&key);
    m.tenancy
        .expect_authenticate()
        .withf(move |hash| hash == expected_hash)
        .times(1)
        .returning(|_| Ok(Some(principal(Role::Admin))));
    let app = m.app();

    assert_eq!(app.authenticate(&key).await, Ok(principal(Role::Admin)));
}

#[tokio::test]
async fn an_unreachable_store_is_unavailable_not_unauthorized() {
    let mut m = Mocks::new();
    m.tenancy
        .expect_authenticate()
        .times(1)
        .returning(|_| Err(RepoError::Unavailable("timeout".into())));
    let app = m.app();

    let result = app.authenticate(&well_formed_key()).await;

    assert!(
        matches!(result, Err(AppError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_issued_key_is_stored_only_as_its_hash_and_authenticates() {
    let mut m = Mocks::new();
    let stored_hash = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = stored_hash.clone();
    m.tenancy
        .expect_create_api_key()
        .withf(|u, o, _, now| *u == user(USER) && *o == org(ORG) && *now == t0())
        .times(1)
        .returning(move |user_id, org_id, hash, created_at| {
            *sink.lock().unwrap() = hash;
            Ok(ApiKey {
                id: ApiKeyId::new(KEY).unwrap(),
                user_id,
                org_id,
                created_at,
            })
        });
    let lookup = stored_hash.clone();
    m.tenancy
        .expect_authenticate()
        .withf(move |hash| *lookup.lock().unwrap() == hash)
        .times(1)
        .returning(|_| Ok(Some(principal(Role::Member))));
    let app = m.app();

    let issued = app.create_api_key(user(USER), org(ORG)).await.unwrap();

    let hash = stored_hash.lock().unwrap().clone();
    assert!(issued.key.starts_with(API_KEY_PREFIX), "{}", issued.key);
    assert_eq!(hash, hash_api_key(&issued.key));
    assert!(!hash.contains(&issued.key[API_KEY_PREFIX.len()..]));
    assert_eq!(issued.record.id, ApiKeyId::new(KEY).unwrap());
    assert_eq!(
        app.authenticate(&issued.key).await,
        Ok(principal(Role::Member))
    );
}

#[tokio::test]
async fn a_key_for_a_non_member_is_a_validation_error() {
    let mut m = Mocks::new();
    m.tenancy
        .expect_create_api_key()
        .times(1)
        .returning(|_, _, _, _| Err(RepoError::InvalidReference(Reference::Membership)));
    let app = m.app();

    let result = app.create_api_key(user(USER), org(ORG)).await;

    let Err(AppError::Validation(errors)) = &result else {
        panic!("expected Validation, got {result:?}");
    };
    assert_eq!(errors[0].field, "user_id");
}

#[tokio::test]
async fn membership_of_a_missing_org_or_user_is_not_found() {
    let mut m = Mocks::new();
    m.tenancy
        .expect_set_membership()
        .withf(|o, _, _| *o == org(OTHER_ORG))
        .times(1)
        .returning(|o, _, _| Err(RepoError::InvalidReference(Reference::Org(o.get()))));
    m.tenancy
        .expect_set_membership()
        .withf(|o, _, _| *o == org(ORG))
        .times(1)
        .returning(|_, u, _| Err(RepoError::InvalidReference(Reference::User(u.get()))));
    let app = m.app();

    assert_eq!(
        app.set_membership(org(OTHER_ORG), user(USER), Role::Admin)
            .await,
        Err(AppError::NotFound("org"))
    );
    assert_eq!(
        app.set_membership(org(ORG), user(USER), Role::Admin).await,
        Err(AppError::NotFound("user"))
    );
}
