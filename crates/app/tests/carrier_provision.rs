//! `App::provision` with a carrier-backed pool: each preference is a
//! carrier search, and the store takes the first candidate nobody holds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::*;
use thunderphone_app::{AppError, MatchedOn, ProvisionRequest};
use thunderphone_domain::{E164, Role};
use thunderphone_ports::{Inventory, NumberProvider, NumberQuery, ProviderError};

/// A carrier whose search answers from a script, recording each query.
struct ScriptedCarrier {
    answers: Mutex<Vec<Result<Vec<E164>, ProviderError>>>,
    queries: Mutex<Vec<NumberQuery>>,
}

impl ScriptedCarrier {
    fn new(answers: Vec<Result<Vec<E164>, ProviderError>>) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(answers),
            queries: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl NumberProvider for ScriptedCarrier {
    fn inventory(&self) -> Inventory {
        Inventory::Carrier
    }

    async fn search(&self, query: &NumberQuery, _limit: usize) -> Result<Vec<E164>, ProviderError> {
        self.queries.lock().unwrap().push(query.clone());
        self.answers.lock().unwrap().remove(0)
    }

    async fn activate(&self, _: &E164) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn release(&self, _: &E164) -> Result<(), ProviderError> {
        Ok(())
    }
}

fn area(code: &str) -> ProvisionRequest {
    ProvisionRequest {
        area_code: Some(area_code(code)),
        ..ProvisionRequest::default()
    }
}

#[tokio::test]
async fn an_empty_search_falls_through_to_the_next_preference() {
    let carrier = ScriptedCarrier::new(vec![
        Ok(vec![]),
        Ok(vec![e164("+12135552142"), e164("+12135552143")]),
    ]);
    let mut m = Mocks::new().with_provider(carrier.clone());
    m.numbers
        .expect_claim_first_free()
        .withf(|o, candidates, _, _| {
            *o == org(ORG) && candidates.len() == 2 && candidates[0].as_str() == "+12135552142"
        })
        .times(1)
        .returning(|_, _, _, _| Ok(Some(provisioning_demo(7, "+12135552142"))));
    let app = m.app();

    let provisioned = app
        .provision(&principal(Role::Member), area("415"))
        .await
        .unwrap();

    assert_eq!(provisioned.matched_on, MatchedOn::State);
    let queries = carrier.queries.lock().unwrap().clone();
    assert_eq!(queries.len(), 2);
    assert!(matches!(&queries[0], NumberQuery::AreaCode(a) if a.as_str() == "415"));
    assert!(matches!(&queries[1], NumberQuery::State(s) if s.as_str() == "CA"));
}

#[tokio::test]
async fn all_candidates_held_everywhere_is_no_numbers_available() {
    let carrier = ScriptedCarrier::new(vec![
        Ok(vec![e164("+14155552142")]),
        Ok(vec![e164("+12135552142")]),
    ]);
    let mut m = Mocks::new().with_provider(carrier);
    m.numbers
        .expect_claim_first_free()
        .times(2)
        .returning(|_, _, _, _| Ok(None));
    let app = m.app();

    let result = app.provision(&principal(Role::Member), area("415")).await;

    assert_eq!(result, Err(AppError::NoNumbersAvailable));
}

#[tokio::test]
async fn an_unreachable_carrier_is_unavailable_and_reserves_nothing() {
    let carrier = ScriptedCarrier::new(vec![Err(ProviderError::Unavailable("timed out".into()))]);
    // No claim expectation: reserving anything would fail the test.
    let app = Mocks::new().with_provider(carrier).app();

    let result = app.provision(&principal(Role::Member), area("415")).await;

    assert!(
        matches!(result, Err(AppError::Unavailable(_))),
        "{result:?}"
    );
}
