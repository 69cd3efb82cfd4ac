//! TelnyxProvider against a local mock of Telnyx's API v2, with bodies
//! shaped like Telnyx's documented examples.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{fast_retry, number};
use serde_json::json;
use thunderphone_carriers::{TelnyxConfig, TelnyxProvider};
use thunderphone_domain::{AreaCode, City, Secret, UsState};
use thunderphone_ports::{Inventory, NumberProvider, NumberQuery, ProviderError};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "KEY0123456789ABCDEF_secret";
const ORDER: &str = "12ade33a-21c0-473b-b055-b3c836e1c292";

fn provider(server: &MockServer) -> TelnyxProvider {
    let mut config = TelnyxConfig::new(Secret::new(KEY), Some("1293384261075731499".into()));
    config.base_url = format!("{}/v2", server.uri());
    config.retry = fast_retry();
    config.request_timeout = Duration::from_secs(5);
    config.order_poll_interval = Duration::from_millis(10);
    TelnyxProvider::new(config).unwrap()
}

fn available(numbers: &[&str]) -> serde_json::Value {
    let data: Vec<_> = numbers
        .iter()
        .map(|n| {
            json!({
                "record_type": "available_phone_number", "phone_number": n,
                "vanity_format": "", "best_effort": false, "quickship": true, "reservable": true,
                "region_information": [{ "region_type": "country_code", "region_name": "US" }],
                "cost_information": { "upfront_cost": "3.21", "monthly_cost": "6.54", "currency": "USD" },
                "features": [{ "name": "sms" }, { "name": "voice" }]
            })
        })
        .collect();
    json!({ "data": data, "meta": { "total_results": numbers.len(), "best_effort_results": 0 } })
}

fn phone_numbers(numbers: &[(&str, &str)]) -> serde_json::Value {
    let data: Vec<_> = numbers
        .iter()
        .map(|(id, n)| {
            json!({
                "id": id, "record_type": "phone_number", "phone_number": n, "status": "active",
                "connection_id": "1293384261075731499", "connection_name": "connection-name",
                "country_iso_alpha2": "US", "phone_number_type": "local",
                "purchased_at": "2019-10-23T18:10:00.000Z", "tags": []
            })
        })
        .collect();
    json!({ "data": data, "meta": { "total_pages": 1, "total_results": numbers.len(), "page_number": 1, "page_size": 20 } })
}

fn order(status: &str) -> serde_json::Value {
    json!({ "data": {
        "id": ORDER, "record_type": "number_order", "status": status,
        "phone_numbers_count": 1, "connection_id": "1293384261075731499",
        "customer_reference": "thunderphone:+12125550123", "requirements_met": true,
        "created_at": "2018-01-01T00:00:00.000000Z", "updated_at": "2018-01-01T00:00:00.000000Z",
        "phone_numbers": [{ "id": "dc8e4d67-33a0-4cbb-af74-7b58f05bd494", "phone_number": "+12125550123",
                            "record_type": "number_order_phone_number", "status": status }]
    }})
}

fn telnyx_error(status: u16, code: &str, title: &str, detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "errors": [{ "code": code, "title": title, "detail": detail,
                     "meta": { "url": format!("https://developers.telnyx.com/docs/overview/errors/{code}") } }]
    }))
}

async fn no_number(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v2/phone_numbers"))
        .and(query_param("filter[phone_number]", "12125550123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(phone_numbers(&[])))
        .mount(server)
        .await;
}

async fn no_pending_order(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v2/number_orders"))
        .and(query_param(
            "filter[customer_reference]",
            "thunderphone:+12125550123",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [] })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn searches_with_bearer_auth_and_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/available_phone_numbers"))
        .and(query_param("filter[country_code]", "US"))
        .and(query_param("filter[national_destination_code]", "212"))
        .and(query_param("filter[limit]", "2"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(available(&["+12125550123", "+12125550124"])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    assert_eq!(p.inventory(), Inventory::Carrier);
    let found = p
        .search(&NumberQuery::AreaCode(AreaCode::parse("212").unwrap()), 2)
        .await
        .unwrap();
    assert_eq!(found, vec![number("+12125550123"), number("+12125550124")]);
}

#[tokio::test]
async fn searches_by_locality_and_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/available_phone_numbers"))
        .and(query_param("filter[locality]", "New York"))
        .and(query_param("filter[administrative_area]", "NY"))
        .respond_with(ResponseTemplate::new(200).set_body_json(available(&["+12125550123"])))
        .expect(1)
        .mount(&server)
        .await;
    let query = NumberQuery::City {
        city: City::parse("New York").unwrap(),
        state: Some(UsState::parse("NY").unwrap()),
    };
    assert_eq!(provider(&server).search(&query, 5).await.unwrap().len(), 1);
}

#[tokio::test]
async fn activate_orders_and_waits_for_the_order() {
    let server = MockServer::start().await;
    no_number(&server).await;
    no_pending_order(&server).await;
    Mock::given(method("POST"))
        .and(path("/v2/number_orders"))
        .and(body_partial_json(json!({
            "phone_numbers": [{ "phone_number": "+12125550123" }],
            "connection_id": "1293384261075731499",
            "customer_reference": "thunderphone:+12125550123"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("pending")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/number_orders/{ORDER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("pending")))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/number_orders/{ORDER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("success")))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .activate(&number("+12125550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn activate_is_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/phone_numbers"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(phone_numbers(&[("1293384261075731499", "+12125550123")])),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    provider(&server)
        .activate(&number("+12125550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn activate_resumes_a_pending_order_instead_of_ordering_twice() {
    let server = MockServer::start().await;
    no_number(&server).await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "data": [order("pending")["data"]] })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/number_orders/{ORDER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("success")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    provider(&server)
        .activate(&number("+12125550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_order_is_rejected() {
    let server = MockServer::start().await;
    no_number(&server).await;
    no_pending_order(&server).await;
    Mock::given(method("POST"))
        .and(path("/v2/number_orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(order("failure")))
        .mount(&server)
        .await;
    let got = provider(&server).activate(&number("+12125550123")).await;
    let Err(ProviderError::Rejected(message)) = got else {
        panic!("expected Rejected, got {got:?}")
    };
    assert!(
        message.contains(ORDER) && message.contains("failed"),
        "{message}"
    );
}

#[tokio::test]
async fn a_refused_order_is_rejected_with_the_errors() {
    let server = MockServer::start().await;
    no_number(&server).await;
    no_pending_order(&server).await;
    Mock::given(method("POST"))
        .respond_with(telnyx_error(
            422,
            "10015",
            "Invalid phone number",
            "The phone number is not available for purchase.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let got = provider(&server).activate(&number("+12125550123")).await;
    let Err(ProviderError::Rejected(message)) = got else {
        panic!("expected Rejected, got {got:?}")
    };
    assert!(message.contains("10015"), "{message}");
    assert!(message.contains("not available for purchase"), "{message}");
}

#[tokio::test]
async fn release_deletes_by_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/phone_numbers"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(phone_numbers(&[("1293384261075731499", "+12125550123")])),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v2/phone_numbers/1293384261075731499"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {
            "id": "1293384261075731499", "phone_number": "+12125550123", "status": "deleted" } })))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .release(&number("+12125550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn releasing_an_absent_number_is_ok() {
    let server = MockServer::start().await;
    no_number(&server).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    provider(&server)
        .release(&number("+12125550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn rate_limits_and_outages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            telnyx_error(429, "10011", "Too many requests", "Slow down")
                .insert_header("Retry-After", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(telnyx_error(503, "10007", "Unexpected error", "Try again"))
        .expect(2)
        .mount(&server)
        .await;
    let got = provider(&server).search(&NumberQuery::Any, 1).await;
    let Err(ProviderError::Unavailable(message)) = got else {
        panic!("expected Unavailable, got {got:?}")
    };
    assert!(message.contains("HTTP 503"), "{message}");
}

#[tokio::test]
async fn the_api_key_never_shows() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(telnyx_error(
            401,
            "10009",
            "Authentication failed",
            "Could not understand the provided credentials.",
        ))
        .mount(&server)
        .await;
    let p = provider(&server);
    assert!(!format!("{p:?}").contains(KEY));
    let config = TelnyxConfig::new(Secret::new(KEY), None);
    assert!(!format!("{config:?}").contains(KEY));
    for got in [
        p.search(&NumberQuery::Any, 1).await.map(drop),
        p.activate(&number("+12125550123")).await,
        p.release(&number("+12125550123")).await,
    ] {
        let Err(error) = got else {
            panic!("a 401 must fail")
        };
        assert!(matches!(error, ProviderError::Rejected(_)), "{error:?}");
        let text = format!("{error} {error:?}");
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains("10009"), "{text}");
    }
}
