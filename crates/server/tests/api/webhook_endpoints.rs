//! Webhook endpoints as a resource (API.md §14): roles, the secret shown
//! once, org isolation, the limit, refused destinations, disabling.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::receiver::Receiver;
use crate::support::{TestApp, test_config};
use crate::webhooks::{config, deliveries, endpoint};

#[tokio::test]
async fn endpoints_crud_roles_and_the_secret_shown_once() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let t = app.tenant("admin").await;
    let member = app.join(app.create_user("member@example.com").await, t.org_id, "member").await;
    let body = json!({ "url": "http://127.0.0.1:9/hook", "event_types": ["phone_number.activated"] });
    app.post("/v1/webhook-endpoints", &member, body.clone())
        .await
        .assert_problem(403, "forbidden");
    let r = app.post("/v1/webhook-endpoints", &t.key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.id();
    assert_eq!(r.header("location"), Some(format!("/v1/webhook-endpoints/{id}").as_str()));
    assert_eq!(r.body["event_types"], json!(["phone_number.activated"]));
    assert_eq!(r.body["enabled"], true);
    assert_eq!(r.body["disabled_reason"], serde_json::Value::Null);
    assert_eq!(r.body["org_id"], t.org_id);

    // Any role reads; nobody reads the secret again.
    for key in [&member, &t.key] {
        let got = app.get(&format!("/v1/webhook-endpoints/{id}"), key).await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(got.body.get("secret").is_none(), "{:?}", got.body);
        let list = app.get("/v1/webhook-endpoints", key).await;
        assert_eq!(list.body["data"][0]["id"], id);
        assert!(!list.body.to_string().contains("whsec_"));
    }
    let path = format!("/v1/webhook-endpoints/{id}");
    app.patch(&path, &member, json!({ "enabled": false }))
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .patch(&path, &t.key, json!({ "description": "billing", "event_types": ["phone_number.created", "phone_number.deleted"] }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["description"], "billing");
    assert_eq!(r.body["event_types"], json!(["phone_number.created", "phone_number.deleted"]));
    let r = app.patch(&path, &t.key, json!({ "description": null })).await;
    assert_eq!(r.body["description"], serde_json::Value::Null);
    app.post(&format!("{path}/rotate-secret"), &member, json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&format!("{path}/test"), &member, json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.delete(&path, &member).await.assert_problem(403, "forbidden");
    assert_eq!(app.delete(&path, &t.key).await.status, StatusCode::NO_CONTENT);
    app.get(&path, &t.key).await.assert_problem(404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn bad_fields_are_named_and_change_nothing() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let t = app.tenant("admin").await;
    for (body, field) in [
        (json!({}), "url"),
        (json!({ "url": "ftp://example.com/x" }), "url"),
        (json!({ "url": "https://user:pw@example.com/x" }), "url"),
        (json!({ "url": "https://example.com/x", "event_types": [] }), "event_types"),
        (json!({ "url": "https://example.com/x", "event_types": ["phone_number.nope"] }), "event_types[0]"),
        (json!({ "url": "https://example.com/x", "event_types": ["webhook.test"] }), "event_types"),
        (json!({ "url": "https://example.com/x", "description": "x".repeat(501) }), "description"),
    ] {
        let r = app.post("/v1/webhook-endpoints", &t.key, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {:?}", r.body);
    }
    app.post("/v1/webhook-endpoints", &t.key, json!({ "url": "https://example.com", "extra": 1 }))
        .await
        .assert_problem(400, "invalid_request");
    let list = app.get("/v1/webhook-endpoints", &t.key).await;
    assert_eq!(list.body["data"], json!([]));
    let r = app.get("/v1/events?type=phone_number.nope", &t.key).await;
    r.assert_problem(422, "validation_failed");
    let r = app.get("/v1/events/evt_nope", &t.key).await;
    r.assert_problem(404, "not_found");
    let r = app.get("/v1/webhook-endpoints/1/deliveries?status=done", &t.key).await;
    r.assert_problem(422, "validation_failed");
    app.stop().await;
}

/// A literal refused address is a 422 at once; plain http is only for
/// destinations the operator allows.
#[tokio::test]
async fn destinations_the_server_would_not_call_are_refused() {
    let app = TestApp::spawn().await; // nothing allowed
    let t = app.tenant("admin").await;
    for url in [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest",
        "https://10.1.2.3/x",
        "https://2130706433/x",
        "http://127.0.0.1:9/hook",
        "http://93.184.215.14/hook",
    ] {
        let r = app.post("/v1/webhook-endpoints", &t.key, json!({ "url": url })).await;
        r.assert_problem(422, "destination_not_allowed");
        assert_eq!(r.body["errors"][0]["field"], "url", "{url}");
    }
    let r = app
        .post("/v1/webhook-endpoints", &t.key, json!({ "url": "http://93.184.215.14/hook" }))
        .await;
    assert!(r.body["detail"].as_str().unwrap().contains("use https://"), "{:?}", r.body);
    let r = app
        .post("/v1/webhook-endpoints", &t.key, json!({ "url": "https://93.184.215.14/hook" }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "a public https destination: {:?}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn orgs_see_only_their_own_endpoints_events_and_deliveries() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let receiver = Receiver::start().await;
    let a = app.tenant("admin").await;
    let b = app.tenant("admin").await;
    let (hook, _) = endpoint(&app, &a, &receiver.url(), None).await;
    let number = app.provision(&a.key, json!({})).await.id();
    receiver.wait_for(1).await;
    let path = format!("/v1/webhook-endpoints/{hook}");
    app.get(&path, &b.key).await.assert_problem(404, "not_found");
    app.patch(&path, &b.key, json!({ "enabled": false })).await.assert_problem(404, "not_found");
    app.delete(&path, &b.key).await.assert_problem(404, "not_found");
    app.get(&format!("{path}/deliveries"), &b.key).await.assert_problem(404, "not_found");
    app.post(&format!("{path}/test"), &b.key, json!({})).await.assert_problem(404, "not_found");
    app.post(&format!("{path}/rotate-secret"), &b.key, json!({})).await.assert_problem(404, "not_found");
    let d = deliveries(&app, &a, hook).await[0]["id"].as_i64().unwrap();
    app.post(&format!("{path}/deliveries/{d}/retry"), &b.key, json!({}))
        .await
        .assert_problem(404, "not_found");
    let theirs = app.get("/v1/events", &b.key).await;
    assert_eq!(theirs.body["data"], json!([]));
    let ours = app.get(&format!("/v1/events?phone_number_id={number}"), &a.key).await;
    let event = ours.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/events/{event}"), &b.key).await.assert_problem(404, "not_found");
    // A cursor of one org's list is refused in another's.
    for _ in 0..3 {
        app.provision(&a.key, json!({})).await;
    }
    let page = app.get("/v1/events?limit=1", &a.key).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/events?limit=1&cursor={cursor}"), &b.key)
        .await
        .assert_problem(422, "validation_failed");
    let next = app.get(&format!("/v1/events?limit=1&cursor={cursor}"), &a.key).await;
    assert_eq!(next.status, StatusCode::OK);
    assert_ne!(next.body["data"][0]["id"], page.body["data"][0]["id"]);
    app.stop().await;
}

#[tokio::test]
async fn at_most_twenty_endpoints_per_org() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let t = app.tenant("admin").await;
    for i in 0..20 {
        let r = app
            .post("/v1/webhook-endpoints", &t.key, json!({ "url": format!("http://127.0.0.1:9/{i}") }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {:?}", r.body);
    }
    app.post("/v1/webhook-endpoints", &t.key, json!({ "url": "http://127.0.0.1:9/21" }))
        .await
        .assert_problem(409, "limit_reached");
    let other = app.tenant("admin").await;
    let r = app
        .post("/v1/webhook-endpoints", &other.key, json!({ "url": "http://127.0.0.1:9/x" }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "the limit is per org");
    app.stop().await;
}

/// A disabled endpoint gets nothing until enabled again; a replayed
/// creation does not show the secret a second time.
#[tokio::test]
async fn disabled_endpoints_receive_nothing_and_replays_hide_the_secret() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let receiver = Receiver::start().await;
    let t = app.tenant("admin").await;
    let body = json!({ "url": receiver.url(), "event_types": ["phone_number.created"] });
    let first = app
        .send(app.req(reqwest::Method::POST, "/v1/webhook-endpoints", &t.key).header("Idempotency-Key", "hook-1").json(&body))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.body["secret"].as_str().unwrap().starts_with("whsec_"));
    let replay = app
        .send(app.req(reqwest::Method::POST, "/v1/webhook-endpoints", &t.key).header("Idempotency-Key", "hook-1").json(&body))
        .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["id"], first.body["id"]);
    assert_eq!(replay.body["secret"], serde_json::Value::Null, "shown once");
    let hook = first.id();

    let r = app.patch(&format!("/v1/webhook-endpoints/{hook}"), &t.key, json!({ "enabled": false })).await;
    assert_eq!(r.body["enabled"], false);
    app.provision(&t.key, json!({})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.received().is_empty());
    assert!(deliveries(&app, &t, hook).await.is_empty());
    app.patch(&format!("/v1/webhook-endpoints/{hook}"), &t.key, json!({ "enabled": true })).await;
    app.provision(&t.key, json!({})).await;
    assert_eq!(receiver.wait_for(1).await.len(), 1);
    app.stop().await;
}

/// Without `THUNDERPHONE_SECRET_KEY` no secret can be sealed: a clear 503.
#[tokio::test]
async fn without_a_secret_key_endpoints_cannot_be_created() {
    let mut config = test_config();
    config.secrets.secret_key = None;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let t = app.tenant("admin").await;
    let r = app
        .post("/v1/webhook-endpoints", &t.key, json!({ "url": "https://93.184.215.14/hook" }))
        .await;
    r.assert_problem(503, "unavailable");
    assert!(r.body["detail"].as_str().unwrap().contains("THUNDERPHONE_SECRET_KEY"));
    app.stop().await;
}

/// The outcomes the system records: a provider that gives up
/// (`provisioning_failed`, changed by nobody) and a passing verification
/// (`verified`, with its checks).
#[tokio::test]
async fn provider_failures_and_passed_verifications_are_events_too() {
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
            Err(ProviderError::Rejected("number unavailable upstream".into()))
        }
        async fn release(&self, _: &thunderphone_domain::E164) -> Result<(), ProviderError> {
            Ok(())
        }
    }
    let overrides = thunderphone_server::Overrides {
        provider: Some(Arc::new(Down)),
        ..Default::default()
    };
    let app = TestApp::spawn_with(config("1h"), overrides).await;
    let receiver = Receiver::start().await;
    let t = app.tenant("admin").await;
    endpoint(
        &app,
        &t,
        &receiver.url(),
        Some(&["phone_number.provisioning_failed", "phone_number.verified"]),
    )
    .await;
    app.provision(&t.key, json!({})).await;
    let failed = receiver.wait_for_type("phone_number.provisioning_failed").await.json();
    assert_eq!(failed["data"]["phone_number"]["status"], "failed");
    assert_eq!(failed["data"]["changed_by"], serde_json::Value::Null);

    let good = app.sip_connection(&t.key, "sip:good.example.com").await;
    let r = app.import(&t.key, good, &["+14155552109"]).await;
    let id = r.body["data"][0]["id"].as_i64().unwrap();
    let r = app.post(&format!("/v1/phone-numbers/{id}/verify-voip"), &t.key, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let verified = receiver.wait_for_type("phone_number.verified").await.json();
    assert_eq!(verified["data"]["verification"]["result"], "verified");
    assert_eq!(verified["data"]["phone_number"]["status"], "active");
    assert!(verified["data"]["verification"]["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true));
    assert_eq!(receiver.received().len(), 2, "only the subscribed types");
    app.stop().await;
}
