//! TwilioVerifier, TelnyxVerifier and VerifierRouter against local mocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::{assert_no_secret, check, connection, fast_retry, number};
use serde_json::json;
use thunderphone_carriers::{
    TelnyxVerifier, TelnyxVerifierConfig, TwilioVerifier, TwilioVerifierConfig, VerifierRouter,
};
use thunderphone_domain::{E164, Secret, VoipConnection, VoipCredentials, VoipProvider};
use thunderphone_ports::{CheckOutcome, VoipVerifier};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "customer-twilio-token";
const KEY: &str = "customer-telnyx-key";
const OURS: &str = "https://voice.thunderphone.test/twilio/inbound";
const TRUNK: &str = "TKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ACCOUNT: &str = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn twilio(server: &MockServer) -> TwilioVerifier {
    let mut config = TwilioVerifierConfig::new(OURS);
    config.api_base_url = server.uri();
    config.trunking_base_url = server.uri();
    config.retry = fast_retry();
    TwilioVerifier::new(config).unwrap()
}

fn twilio_creds() -> VoipCredentials {
    VoipCredentials::Twilio {
        account_sid: thunderphone_domain::TwilioAccountSid::parse(SID).unwrap(),
        auth_token: Secret::new(TOKEN),
    }
}

async fn twilio_account(server: &MockServer, voice_url: Option<&str>, trunk: Option<&str>) {
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": SID, "friendly_name": "Acme", "status": "active", "type": "Full" })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .and(query_param("PhoneNumber", "+14155550123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [{ "sid": "PNbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                "phone_number": "+14155550123", "voice_url": voice_url, "trunk_sid": trunk }] })))
        .mount(server)
        .await;
}

async fn verify(
    v: &dyn VoipVerifier,
    provider: VoipProvider,
    creds: &VoipCredentials,
) -> Vec<CheckOutcome> {
    let conn = connection(provider, None);
    let checks = v.verify(&conn, creds, &number("+14155550123")).await;
    assert_no_secret(&checks, TOKEN);
    assert_no_secret(&checks, KEY);
    checks
}

#[tokio::test]
async fn twilio_all_checks_pass_with_our_voice_url() {
    let server = MockServer::start().await;
    twilio_account(&server, Some(OURS), None).await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "credentials",
            "number_in_account",
            "inbound_routing",
            "outbound_trunking"
        ]
    );
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
}

#[tokio::test]
async fn twilio_voice_url_elsewhere_says_what_to_set() {
    let server = MockServer::start().await;
    twilio_account(
        &server,
        Some("https://demo.twilio.com/welcome/voice/"),
        None,
    )
    .await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    let inbound = check(&checks, "inbound_routing");
    assert!(!inbound.passed);
    // Says what to set, without quoting what Twilio returned.
    assert!(
        inbound.detail.contains(OURS)
            && inbound.detail.contains("another Voice URL")
            && !inbound.detail.contains("demo.twilio.com"),
        "{}",
        inbound.detail
    );
}

#[tokio::test]
async fn twilio_bad_token_fails_credentials_and_skips_the_rest() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401 })))
        .mount(&server)
        .await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    let creds = check(&checks, "credentials");
    assert!(
        !creds.passed && creds.detail.contains("Auth Token"),
        "{}",
        creds.detail
    );
    assert!(
        check(&checks, "outbound_trunking")
            .detail
            .starts_with("not checked")
    );
    assert_eq!(checks.len(), 4);
}

#[tokio::test]
async fn twilio_number_missing_from_the_account() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}.json")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "sid": SID, "status": "active" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}/IncomingPhoneNumbers.json")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "incoming_phone_numbers": [] })),
        )
        .mount(&server)
        .await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    assert!(check(&checks, "credentials").passed);
    let n = check(&checks, "number_in_account");
    assert!(
        !n.passed && n.detail.contains("+14155550123"),
        "{}",
        n.detail
    );
}

async fn trunk(server: &MockServer, credential_lists: usize) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/Trunks/{TRUNK}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": TRUNK, "account_sid": SID, "domain_name": "acme.pstn.twilio.com" })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/Trunks/{TRUNK}/OriginationUrls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "origination_urls": [{ "sid": "OUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "trunk_sid": TRUNK,
                "enabled": true, "sip_url": "sip:sip.thunderphone.test", "weight": 1, "priority": 1 }],
            "meta": { "page": 0, "page_size": 50, "key": "origination_urls" } })))
        .mount(server)
        .await;
    let lists: Vec<_> = (0..credential_lists)
        .map(|_| json!({ "sid": "CLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "friendly_name": "agents" }))
        .collect();
    Mock::given(method("GET"))
        .and(path(format!("/v1/Trunks/{TRUNK}/CredentialLists")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "credential_lists": lists, "meta": { "key": "credential_lists" } })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/Trunks/{TRUNK}/IpAccessControlLists")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ip_access_control_lists": [], "meta": { "key": "ip_access_control_lists" } })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn twilio_numbers_on_a_trunk_check_the_trunk() {
    let server = MockServer::start().await;
    twilio_account(&server, None, Some(TRUNK)).await;
    trunk(&server, 1).await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    let out = &check(&checks, "outbound_trunking").detail;
    assert!(
        out.contains(TRUNK) && !out.contains("acme.pstn.twilio.com"),
        "{out}"
    );
}

#[tokio::test]
async fn twilio_trunk_without_credential_lists_fails_outbound() {
    let server = MockServer::start().await;
    twilio_account(&server, None, Some(TRUNK)).await;
    trunk(&server, 0).await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    assert!(check(&checks, "inbound_routing").passed);
    let out = check(&checks, "outbound_trunking");
    assert!(
        !out.passed && out.detail.contains("credential list"),
        "{}",
        out.detail
    );
}

fn telnyx(server: &MockServer) -> TelnyxVerifier {
    TelnyxVerifier::new(TelnyxVerifierConfig {
        base_url: server.uri(),
        retry: fast_retry(),
        ..TelnyxVerifierConfig::default()
    })
    .unwrap()
}

fn telnyx_creds() -> VoipCredentials {
    VoipCredentials::Telnyx {
        api_key: Secret::new(KEY),
    }
}

async fn telnyx_number(server: &MockServer, connection_id: Option<&str>) {
    Mock::given(method("GET"))
        .and(path("/phone_numbers"))
        .and(query_param("filter[phone_number]", "14155550123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [{
            "id": "1293384261075731499", "record_type": "phone_number", "phone_number": "+14155550123",
            "status": "active", "connection_id": connection_id }] })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn telnyx_all_checks_pass() {
    let server = MockServer::start().await;
    telnyx_number(&server, Some("77")).await;
    Mock::given(method("GET"))
        .and(path("/connections/77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {
            "id": "77", "record_type": "credential_connection", "active": true,
            "connection_name": "ThunderPhone", "outbound_voice_profile_id": "1911630617284445511" } })))
        .mount(&server)
        .await;
    let checks = verify(&telnyx(&server), VoipProvider::Telnyx, &telnyx_creds()).await;
    assert_eq!(checks.len(), 4);
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
}

#[tokio::test]
async fn telnyx_reads_the_typed_connection_for_the_outbound_profile() {
    let server = MockServer::start().await;
    telnyx_number(&server, Some("77")).await;
    Mock::given(method("GET"))
        .and(path("/connections/77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {
            "id": "77", "record_type": "ip_connection", "active": true } })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ip_connections/77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {
            "id": "77", "record_type": "ip_connection", "outbound": { "outbound_voice_profile_id": null } } })))
        .mount(&server)
        .await;
    let checks = verify(&telnyx(&server), VoipProvider::Telnyx, &telnyx_creds()).await;
    assert!(check(&checks, "inbound_routing").passed);
    let out = check(&checks, "outbound_trunking");
    assert!(
        !out.passed && out.detail.contains("outbound voice profile"),
        "{}",
        out.detail
    );
}

#[tokio::test]
async fn telnyx_number_without_a_connection() {
    let server = MockServer::start().await;
    telnyx_number(&server, None).await;
    let checks = verify(&telnyx(&server), VoipProvider::Telnyx, &telnyx_creds()).await;
    let inbound = check(&checks, "inbound_routing");
    assert!(
        !inbound.passed && inbound.detail.contains("assign it"),
        "{}",
        inbound.detail
    );
}

#[tokio::test]
async fn telnyx_bad_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({ "errors": [{
            "code": "10009", "title": "Authentication failed", "detail": "Could not understand the provided credentials." }] })))
        .mount(&server)
        .await;
    let checks = verify(&telnyx(&server), VoipProvider::Telnyx, &telnyx_creds()).await;
    let creds = check(&checks, "credentials");
    assert!(
        !creds.passed && creds.detail.contains("API key"),
        "{}",
        creds.detail
    );
}

/// Asserts that no detail quotes the account SID or any of `vendor_text`.
fn assert_quotes_nothing(checks: &[CheckOutcome], vendor_text: &[&str]) {
    for c in checks {
        assert!(!c.detail.contains(SID), "account SID in {c:?}");
        for text in vendor_text {
            assert!(!c.detail.contains(text), "{text:?} in {c:?}");
        }
    }
}

#[tokio::test]
async fn twilio_details_never_quote_the_sid_or_twilio_text() {
    // Rejected credentials: Twilio's error message is not echoed.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 20003, "message": "Authenticate XVENDORX", "status": 401 })))
        .mount(&server)
        .await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    assert!(check(&checks, "credentials").detail.contains("HTTP 401"));
    assert_quotes_nothing(&checks, &["XVENDORX", "Authenticate"]);
    // A suspended account with a friendly name; a number on a trunk whose
    // lookups fail with Twilio's words in the body.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{ACCOUNT}.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": SID, "friendly_name": "XNAMEX", "status": "XSTATUSX" })))
        .mount(&server)
        .await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    assert!(check(&checks, "credentials").detail.contains("not active"));
    assert_quotes_nothing(&checks, &["XNAMEX", "XSTATUSX"]);
    let server = MockServer::start().await;
    twilio_account(
        &server,
        Some("https://XURLX.example/voice"),
        Some("TK<b>XTRUNKX</b>"),
    )
    .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "code": 20500, "message": "XVENDORX internal", "status": 500 })))
        .mount(&server)
        .await;
    let checks = verify(&twilio(&server), VoipProvider::Twilio, &twilio_creds()).await;
    assert!(check(&checks, "credentials").passed, "{checks:#?}");
    assert!(
        check(&checks, "inbound_routing")
            .detail
            .contains("the number's Elastic SIP trunk"),
        "{checks:#?}"
    );
    assert_quotes_nothing(&checks, &["XVENDORX", "XURLX", "XTRUNKX", "<b>", "PNbbbb"]);
}

#[tokio::test]
async fn telnyx_details_never_quote_telnyx_text() {
    let server = MockServer::start().await;
    telnyx_number(&server, Some("77")).await;
    Mock::given(method("GET"))
        .and(path("/connections/77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {
            "id": "77", "record_type": "credential_connection", "active": true,
            "connection_name": "XNAMEX", "outbound_voice_profile_id": "XPROFILEX" } })))
        .mount(&server)
        .await;
    let checks = verify(&telnyx(&server), VoipProvider::Telnyx, &telnyx_creds()).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert!(
        check(&checks, "inbound_routing")
            .detail
            .contains("connection 77")
    );
    assert_quotes_nothing(&checks, &["XNAMEX", "XPROFILEX"]);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({ "errors": [{
            "code": "10010", "title": "XVENDORX", "detail": "XDETAILX" }] })),
        )
        .mount(&server)
        .await;
    let checks = verify(&telnyx(&server), VoipProvider::Telnyx, &telnyx_creds()).await;
    assert!(check(&checks, "credentials").detail.contains("HTTP 403"));
    assert_quotes_nothing(&checks, &["XVENDORX", "XDETAILX"]);
}

/// Names itself in its only check.
struct Named(&'static str);

#[async_trait]
impl VoipVerifier for Named {
    async fn verify(&self, _: &VoipConnection, _: &VoipCredentials, _: &E164) -> Vec<CheckOutcome> {
        vec![CheckOutcome::passed("credentials", self.0)]
    }
}

#[tokio::test]
async fn the_router_dispatches_by_provider() {
    let router = VerifierRouter::new(
        Arc::new(Named("twilio")),
        Arc::new(Named("telnyx")),
        Arc::new(Named("sip")),
    );
    let sip_creds = VoipCredentials::Sip {
        username: None,
        password: None,
    };
    for (provider, creds, want) in [
        (VoipProvider::Twilio, twilio_creds(), "twilio"),
        (VoipProvider::Telnyx, telnyx_creds(), "telnyx"),
        (VoipProvider::Sip, sip_creds, "sip"),
    ] {
        let checks = verify(&router, provider, &creds).await;
        assert_eq!(checks[0].detail, want);
    }
    // Credentials of another provider than the connection's: refused, and
    // nothing is sent anywhere.
    let checks = verify(&router, VoipProvider::Sip, &twilio_creds()).await;
    assert!(
        !checks[0].passed
            && checks[0]
                .detail
                .contains("stored credentials are for twilio"),
        "{checks:?}"
    );
}
