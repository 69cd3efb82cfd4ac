//! TwilioProvider against a local mock of Twilio's API 2010-04-01, with
//! bodies shaped like Twilio's documented examples.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{basic, fast_retry, number};
use serde_json::json;
use thunderphone_carriers::{TwilioConfig, TwilioProvider};
use thunderphone_domain::{AreaCode, City, Secret, UsState};
use thunderphone_ports::{Inventory, NumberProvider, NumberQuery, ProviderError};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "twilio-secret-token-123";
const VOICE_URL: &str = "https://voice.thunderphone.test/twilio/inbound";
const ACCOUNT: &str = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn provider_with_timeout(server: &MockServer, timeout: Duration) -> TwilioProvider {
    let mut config = TwilioConfig::new(SID, Secret::new(TOKEN), VOICE_URL);
    config.base_url = server.uri();
    config.retry = fast_retry();
    config.request_timeout = timeout;
    TwilioProvider::new(config).unwrap()
}

fn provider(server: &MockServer) -> TwilioProvider {
    provider_with_timeout(server, Duration::from_secs(5))
}

fn available(numbers: &[&str]) -> serde_json::Value {
    let list: Vec<_> = numbers
        .iter()
        .map(|n| {
            json!({
                "friendly_name": "(415) 555-0123", "phone_number": n, "lata": "722",
                "locality": "San Francisco", "rate_center": "SNFC", "latitude": "37.770000",
                "longitude": "-122.420000", "region": "CA", "postal_code": "94103",
                "iso_country": "US", "address_requirements": "none", "beta": false,
                "capabilities": { "voice": true, "SMS": true, "MMS": true }
            })
        })
        .collect();
    json!({ "available_phone_numbers": list, "uri": format!("{ACCOUNT}/AvailablePhoneNumbers/US/Local.json") })
}

fn incoming(numbers: &[(&str, &str)]) -> serde_json::Value {
    let list: Vec<_> = numbers
        .iter()
        .map(|(sid, n)| {
            json!({
                "account_sid": SID, "sid": sid, "phone_number": n, "friendly_name": n,
                "voice_url": VOICE_URL, "voice_method": "POST", "trunk_sid": null,
                "capabilities": { "voice": true, "sms": false, "mms": true, "fax": false },
                "status": "in-use", "api_version": "2010-04-01"
            })
        })
        .collect();
    json!({ "incoming_phone_numbers": list, "page": 0, "page_size": 50, "start": 0, "end": 0,
            "uri": format!("{ACCOUNT}/IncomingPhoneNumbers.json"), "next_page_uri": null })
}

fn twilio_error(code: u32, message: &str, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code, "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status
    }))
}

const PN: &str = "PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

#[tokio::test]
async fn searches_by_area_code_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{ACCOUNT}/AvailablePhoneNumbers/US/Local.json"
        )))
        .and(query_param("AreaCode", "415"))
        .and(query_param("PageSize", "2"))
        .and(header("authorization", basic(SID, TOKEN).as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(available(&[
            "+14155550123",
            "not a number",
            "+14155550124",
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server);
    assert_eq!(p.inventory(), Inventory::Carrier);
    let found = p
        .search(&NumberQuery::AreaCode(AreaCode::parse("415").unwrap()), 2)
        .await
        .unwrap();
    assert_eq!(found, vec![number("+14155550123"), number("+14155550124")]);
}

#[tokio::test]
async fn searches_by_city_and_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "{ACCOUNT}/AvailablePhoneNumbers/US/Local.json"
        )))
        .and(query_param("InLocality", "San Francisco"))
        .and(query_param("InRegion", "CA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(available(&["+14155550123"])))
        .expect(1)
        .mount(&server)
        .await;
    let query = NumberQuery::City {
        city: City::parse("San Francisco").unwrap(),
        state: Some(UsState::parse("CA").unwrap()),
    };
    let found = provider(&server).search(&query, 5).await.unwrap();
    assert_eq!(found, vec![number("+14155550123")]);
}

#[tokio::test]
async fn activate_buys_with_our_voice_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .and(query_param("PhoneNumber", "+14155550123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("PhoneNumber=%2B14155550123"))
        .and(body_string_contains(
            "VoiceUrl=https%3A%2F%2Fvoice.thunderphone.test%2Ftwilio%2Finbound",
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                incoming(&[(PN, "+14155550123")])["incoming_phone_numbers"][0].clone(),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .activate(&number("+14155550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn activate_is_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[(PN, "+14155550123")])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let p = provider(&server);
    p.activate(&number("+14155550123")).await.unwrap();
    p.activate(&number("+14155550123")).await.unwrap();
}

#[tokio::test]
async fn a_refused_purchase_that_went_through_earlier_is_a_success() {
    let server = MockServer::start().await;
    // First lookup: not ours yet; after the refusal: ours.
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[(PN, "+14155550123")])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(twilio_error(21422, "PhoneNumber is not available", 400))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .activate(&number("+14155550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn release_deletes_by_sid() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .and(query_param("PhoneNumber", "+14155550123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[(PN, "+14155550123")])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers/{PN}.json")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .release(&number("+14155550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn releasing_an_absent_number_is_ok() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        // Twilio may match loosely: only an exact match counts as ours.
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[(PN, "+14155550999")])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    provider(&server)
        .release(&number("+14155550123"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_twilio_400_is_rejected_with_its_code_and_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(twilio_error(
            21452,
            "No phone numbers found in area code 415",
            400,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let got = provider(&server)
        .search(&NumberQuery::Any, 5)
        .await
        .unwrap_err();
    let ProviderError::Rejected(message) = got else {
        panic!("expected Rejected, got {got:?}")
    };
    assert!(message.contains("21452"), "{message}");
    assert!(message.contains("No phone numbers found"), "{message}");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            twilio_error(20429, "Too Many Requests", 429).insert_header("Retry-After", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(available(&["+14155550123"])))
        .expect(1)
        .mount(&server)
        .await;
    let start = Instant::now();
    let found = provider(&server)
        .search(&NumberQuery::Any, 1)
        .await
        .unwrap();
    assert_eq!(found, vec![number("+14155550123")]);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored"
    );
}

#[tokio::test]
async fn a_persistent_503_is_unavailable_after_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(twilio_error(20503, "Service Unavailable", 503))
        .expect(3)
        .mount(&server)
        .await;
    let got = provider(&server).activate(&number("+14155550123")).await;
    assert!(matches!(got, Err(ProviderError::Unavailable(_))), "{got:?}");
}

#[tokio::test]
async fn a_post_that_may_have_gone_through_is_not_repeated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(&[])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(twilio_error(20500, "Internal Server Error", 500))
        .expect(1)
        .mount(&server)
        .await;
    let got = provider(&server).activate(&number("+14155550123")).await;
    assert!(matches!(got, Err(ProviderError::Unavailable(_))), "{got:?}");
}

#[tokio::test]
async fn a_slow_twilio_is_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(incoming(&[]))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let start = Instant::now();
    let got = provider_with_timeout(&server, Duration::from_millis(300))
        .release(&number("+14155550123"))
        .await;
    let Err(ProviderError::Unavailable(message)) = got else {
        panic!("expected Unavailable, got {got:?}")
    };
    assert!(message.contains("did not answer within"), "{message}");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_unreachable_twilio_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut config = TwilioConfig::new(SID, Secret::new(TOKEN), VOICE_URL);
    config.base_url = base;
    config.retry = fast_retry();
    let got = TwilioProvider::new(config)
        .unwrap()
        .search(&NumberQuery::Any, 1)
        .await;
    let Err(ProviderError::Unavailable(message)) = got else {
        panic!("expected Unavailable, got {got:?}")
    };
    assert!(message.contains("could not reach twilio"), "{message}");
}

#[tokio::test]
async fn the_auth_token_never_shows() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(twilio_error(20003, "Authenticate", 401))
        .mount(&server)
        .await;
    let p = provider(&server);
    let printed = format!("{p:?}");
    assert!(!printed.contains(TOKEN), "{printed}");
    let config = TwilioConfig::new(SID, Secret::new(TOKEN), VOICE_URL);
    assert!(!format!("{config:?}").contains(TOKEN));
    for got in [
        p.search(&NumberQuery::Any, 1).await.map(drop),
        p.activate(&number("+14155550123")).await,
        p.release(&number("+14155550123")).await,
    ] {
        let Err(error) = got else {
            panic!("a 401 must fail")
        };
        assert!(matches!(error, ProviderError::Rejected(_)), "{error:?}");
        let text = format!("{error} {error:?}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("20003"), "{text}");
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/collect", elsewhere.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The credentials would go along with a followed redirect.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(available(&["+14155550123"])))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let got = provider(&server)
        .search(&NumberQuery::Any, 5)
        .await
        .unwrap_err();
    assert!(matches!(got, ProviderError::Unavailable(_)), "{got:?}");
}
