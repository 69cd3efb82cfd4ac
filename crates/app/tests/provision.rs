//! `App::provision`: the fallback chain of API.md §5 as it reaches the
//! store's pool, and the activation job it starts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mockall::Sequence;
use thunderphone_app::{AppError, MatchedOn, ProvisionRequest};
use thunderphone_domain::{AreaCode, City, Role, Status, UsState};
use thunderphone_ports::RepoError;

fn request(area: Option<&str>, city: Option<&str>, state: Option<&str>) -> ProvisionRequest {
    ProvisionRequest {
        area_code: area.map(area_code),
        city: city.map(|c| City::parse(c).unwrap()),
        state: state.map(|s| UsState::parse(s).unwrap()),
    }
}

fn in_state(codes: &[AreaCode], state: &str) -> bool {
    !codes.is_empty()
        && codes
            .iter()
            .all(|c| thunderphone_nanp::lookup(c.as_str()).is_some_and(|row| row.state == state))
}

fn codes_of(codes: &[AreaCode]) -> Vec<&str> {
    codes.iter().map(AreaCode::as_str).collect()
}

#[tokio::test]
async fn area_code_is_tried_first_then_the_state_of_the_area_code() {
    let mut m = Mocks::new();
    let mut seq = Sequence::new();
    let caller = principal(Role::Member);
    m.numbers
        .expect_claim_pool_number()
        .withf(move |o, codes, now, actor| {
            *o == org(ORG)
                && codes_of(codes) == ["415"]
                && *now == t0()
                && *actor == Some(caller.actor())
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(None));
    m.numbers
        .expect_claim_pool_number()
        .withf(|o, codes, _, _| {
            *o == org(ORG)
                && codes.len() > 1
                && in_state(codes, "CA")
                && codes_of(codes).contains(&"213")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(Some(provisioning_demo(7, "+12135550100"))));
    // The activation job it starts may or may not get to run before the test
    // ends; if it does, the number is gone and it stops there.
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(None));
    let app = m.app();

    let provisioned = app
        .provision(&caller, request(Some("415"), None, None))
        .await
        .unwrap();

    assert_eq!(provisioned.matched_on, MatchedOn::State);
    assert_eq!(provisioned.number.number().as_str(), "+12135550100");
    assert_eq!(provisioned.number.status(), Status::Provisioning);
}

#[tokio::test]
async fn a_free_number_in_the_area_code_matches_on_area_code_with_one_claim() {
    let mut m = Mocks::new();
    m.numbers
        .expect_claim_pool_number()
        .withf(|_, codes, _, _| codes_of(codes) == ["415"])
        .times(1)
        .returning(|_, _, _, _| Ok(Some(provisioning_demo(7, "+14155550100"))));
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(None));
    let app = m.app();

    let provisioned = app
        .provision(&principal(Role::Member), request(Some("415"), None, None))
        .await
        .unwrap();

    assert_eq!(provisioned.matched_on, MatchedOn::AreaCode);
    assert_eq!(provisioned.number.id(), number_id(7));
}

#[tokio::test]
async fn city_tier_comes_between_area_code_and_state() {
    let mut m = Mocks::new();
    let mut seq = Sequence::new();
    m.numbers
        .expect_claim_pool_number()
        .withf(|_, codes, _, _| codes_of(codes) == ["415"])
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(None));
    m.numbers
        .expect_claim_pool_number()
        .withf(|_, codes, _, _| in_state(codes, "TX") && codes_of(codes).contains(&"512"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(Some(provisioning_demo(8, "+15125550100"))));
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(None));
    let app = m.app();

    let provisioned = app
        .provision(
            &principal(Role::Member),
            request(Some("415"), Some("Austin"), Some("TX")),
        )
        .await
        .unwrap();

    assert_eq!(provisioned.matched_on, MatchedOn::City);
}

#[tokio::test]
async fn no_preference_searches_every_area_code() {
    let mut m = Mocks::new();
    m.numbers
        .expect_claim_pool_number()
        .withf(|_, codes, _, _| codes.len() == thunderphone_nanp::all().len())
        .times(1)
        .returning(|_, _, _, _| Ok(Some(provisioning_demo(9, "+12015550100"))));
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(None));
    let app = m.app();

    let provisioned = app
        .provision(&principal(Role::Member), ProvisionRequest::default())
        .await
        .unwrap();

    assert_eq!(provisioned.matched_on, MatchedOn::Any);
}

#[tokio::test]
async fn all_tiers_empty_is_no_numbers_available() {
    let mut m = Mocks::new();
    let mut seq = Sequence::new();
    m.numbers
        .expect_claim_pool_number()
        .withf(|_, codes, _, _| codes_of(codes) == ["415"])
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(None));
    m.numbers
        .expect_claim_pool_number()
        .withf(|_, codes, _, _| in_state(codes, "CA"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(None));
    // No number, no activation job: find_number_unscoped is not expected.
    let app = m.app();

    let result = app
        .provision(&principal(Role::Member), request(Some("415"), None, None))
        .await;

    assert_eq!(result, Err(AppError::NoNumbersAvailable));
}

#[tokio::test]
async fn unknown_preferences_never_reach_the_store() {
    // 555 is not a US area code (a 422, API.md §17) and Atlantis is no
    // city (no tier to search): the numbers mock expects no call.
    let app = Mocks::new().app();

    let result = app
        .provision(
            &principal(Role::Member),
            request(Some("555"), Some("Atlantis"), None),
        )
        .await;
    let Err(AppError::Validation(errors)) = result else {
        panic!("expected a validation error, got {result:?}");
    };
    assert_eq!(errors[0].field, "area_code");

    let result = app
        .provision(
            &principal(Role::Member),
            request(None, Some("Atlantis"), None),
        )
        .await;
    assert_eq!(result, Err(AppError::NoNumbersAvailable));
}

#[tokio::test]
async fn store_unavailable_stops_the_chain_with_unavailable() {
    let mut m = Mocks::new();
    m.numbers
        .expect_claim_pool_number()
        .times(1)
        .returning(|_, _, _, _| Err(RepoError::Unavailable("connection refused".into())));
    let app = m.app();

    let result = app
        .provision(&principal(Role::Member), request(Some("415"), None, None))
        .await;

    let Err(AppError::Unavailable(message)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(message.contains("connection refused"), "{message}");
}
