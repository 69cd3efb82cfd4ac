//! Provisioning from the pool: reservation, activation, preferences and
//! their fallbacks, validation, a failing carrier (API.md §5).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn provision_reserves_then_activates() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let r = app.provision(&t.key, json!({ "area_code": "415" })).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/phone-numbers/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.body["number"], "+14155550100");
    assert_eq!(r.body["source"], "demo");
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["matched_on"], "area_code");
    assert_eq!(r.body["org_id"], t.org_id);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["voip_verification_status"], "unverified");
    assert!(r.body["inbound_agent_id"].is_null() && r.body["status_reason"].is_null());
    assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));

    let active = app.wait_for_status(&t.key, id, "active").await;
    assert_eq!(active["version"], 2);
    let got = app.get(&format!("/v1/phone-numbers/{id}"), &t.key).await;
    assert_eq!(got.header("etag"), Some("\"2\""));

    let versions = app
        .get(&format!("/v1/phone-numbers/{id}/versions"), &t.key)
        .await;
    let changes: Vec<_> = versions.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(changes, vec!["activated", "created"]);
    assert!(
        versions.body["data"][0]["changed_by"].is_null(),
        "activation is a system change"
    );
    assert_eq!(versions.body["data"][1]["changed_by"]["user_id"], t.user_id);
    app.stop().await;
}

#[tokio::test]
async fn provision_preference_fallbacks() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let none = app.provision(&t.key, json!({})).await;
    assert_eq!(none.body["matched_on"], "any");
    let empty = app
        .send(app.req(Method::POST, "/v1/phone-numbers", &t.key))
        .await;
    assert_eq!(
        empty.status,
        StatusCode::CREATED,
        "an empty body means no preference: {:?}",
        empty.body
    );
    let city = app
        .provision(&t.key, json!({ "city": "san francisco", "state": "ca" }))
        .await;
    assert_eq!(city.body["matched_on"], "city");
    let state = app.provision(&t.key, json!({ "state": "TX" })).await;
    assert_eq!(state.body["matched_on"], "state");
    // A city the data does not know falls back to nothing: no state given → 409.
    let unknown_city = app.provision(&t.key, json!({ "city": "Atlantis" })).await;
    unknown_city.assert_problem(409, "no_numbers_available");
    app.stop().await;
}

/// API.md §17: a city in one state means that one; in several, the area
/// code's state chooses, else a 422 naming the states; an area code that
/// is not a US one is a 422.
#[tokio::test]
async fn cities_and_area_codes_are_checked_against_the_table() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let field_message = |r: &crate::support::Response| {
        (
            r.body["errors"][0]["field"].as_str().unwrap_or_default().to_owned(),
            r.body["errors"][0]["message"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let unknown = app.provision(&t.key, json!({ "area_code": "555" })).await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(
        field_message(&unknown),
        ("area_code".into(), "555 is not a US area code".into())
    );
    let austin = app.provision(&t.key, json!({ "city": "Austin" })).await;
    austin.assert_problem(422, "validation_failed");
    assert_eq!(
        field_message(&austin),
        ("city".into(), "Austin is in IN, MN, TX: add state".into())
    );
    let elsewhere = app
        .provision(&t.key, json!({ "city": "Austin", "area_code": "415" }))
        .await;
    elsewhere.assert_problem(422, "validation_failed");
    // 512 is in Texas, one of Austin's states: the area code is taken.
    let texas = app
        .provision(&t.key, json!({ "city": "austin", "area_code": "512" }))
        .await;
    assert_eq!(texas.status, StatusCode::CREATED, "{:?}", texas.body);
    assert!(
        texas.body["number"].as_str().unwrap().starts_with("+1512"),
        "{:?}",
        texas.body
    );
    let sf = app.provision(&t.key, json!({ "city": "San Francisco" })).await;
    assert_eq!(sf.body["matched_on"], "city", "{:?}", sf.body);
    let number = sf.body["number"].as_str().unwrap();
    assert!(
        number.starts_with("+1415") || number.starts_with("+1628"),
        "a San Francisco code: {number}"
    );
    app.stop().await;
}

#[tokio::test]
async fn area_code_exhaustion_falls_back_to_its_state() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    for i in 0..100 {
        let r = app.provision(&t.key, json!({ "area_code": "907" })).await;
        assert_eq!(r.body["matched_on"], "area_code", "#{i}");
    }
    // 907 is Alaska's only area code: after it, nothing in AK.
    app.provision(&t.key, json!({ "area_code": "907" }))
        .await
        .assert_problem(409, "no_numbers_available");
    let r = app.provision(&t.key, json!({ "area_code": "415" })).await;
    assert_eq!(r.body["matched_on"], "area_code");
    app.stop().await;
}

#[tokio::test]
async fn provision_validation() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let r = app
        .provision(
            &t.key,
            json!({ "area_code": "12", "city": "", "state": "ZZ" }),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["area_code", "city", "state"]);
    app.provision(&t.key, json!({ "area_code": 415 }))
        .await
        .assert_problem(400, "invalid_request");
    app.provision(&t.key, json!({ "areacode": "415" }))
        .await
        .assert_problem(400, "invalid_request");
    app.stop().await;
}

#[tokio::test]
async fn failing_provider_marks_number_failed_with_reason() {
    use std::sync::Arc;
    use thunderphone_ports::{NumberProvider, ProviderError};
    struct Down;
    #[async_trait::async_trait]
    impl NumberProvider for Down {
        fn inventory(&self) -> thunderphone_ports::Inventory {
            thunderphone_ports::Inventory::DemoPool
        }
        async fn search(
            &self,
            _: &thunderphone_ports::NumberQuery,
            _: usize,
        ) -> Result<Vec<thunderphone_domain::E164>, ProviderError> {
            Ok(vec![])
        }
        async fn activate(&self, _: &thunderphone_domain::E164) -> Result<(), ProviderError> {
            Err(ProviderError::Unavailable("carrier returned 503".into()))
        }
        async fn release(&self, _: &thunderphone_domain::E164) -> Result<(), ProviderError> {
            Ok(())
        }
    }
    let overrides = thunderphone_server::Overrides {
        provider: Some(Arc::new(Down)),
        ..Default::default()
    };
    let app = TestApp::spawn_with(crate::support::test_config(), overrides).await;
    let t = app.tenant("member").await;
    let id = app.provision(&t.key, json!({})).await.id();
    let failed = app.wait_for_status(&t.key, id, "failed").await;
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("3 attempts") && reason.contains("carrier returned 503"),
        "{reason}"
    );
    let history = app
        .get(&format!("/v1/phone-numbers/{id}/versions"), &t.key)
        .await;
    assert_eq!(history.body["data"][0]["change"], "provisioning_failed");
    app.patch(
        &format!("/v1/phone-numbers/{id}"),
        &t.key,
        json!({ "status": "active" }),
    )
    .await
    .assert_problem(409, "invalid_status_transition");
    assert_eq!(
        app.delete(&format!("/v1/phone-numbers/{id}"), &t.key)
            .await
            .status,
        StatusCode::NO_CONTENT,
        "failed numbers can be deleted"
    );
    app.stop().await;
}
