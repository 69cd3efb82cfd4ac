//! Webhooks end to end (API.md §14): a receiver on loopback (allowed by
//! the operator, `THUNDERPHONE_OUTBOUND_ALLOW`), real deliveries by the
//! server's worker and sender, signatures checked by the official
//! Standard Webhooks libraries.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use thunderphone_server::Config;
use tokio::io::AsyncWriteExt;

use crate::receiver::{Answer, Received, Receiver};
use crate::support::{Tenant, TestApp, test_config};

pub fn config(schedule: &str) -> Config {
    let mut config = test_config();
    config.outbound.allow = "127.0.0.1/32".parse().unwrap();
    config.webhooks.retry_schedule = Some(schedule.parse().unwrap());
    config
}

/// Creates an endpoint for `url`; returns `(id, secret)`.
pub async fn endpoint(app: &TestApp, t: &Tenant, url: &str, types: Option<&[&str]>) -> (i64, String) {
    let mut body = json!({ "url": url, "description": "test receiver" });
    if let Some(types) = types {
        body["event_types"] = json!(types);
    }
    let r = app.post("/v1/webhook-endpoints", &t.key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (r.id(), secret)
}

/// The endpoint's deliveries.
pub async fn deliveries(app: &TestApp, t: &Tenant, endpoint: i64) -> Vec<Value> {
    let r = app
        .get(&format!("/v1/webhook-endpoints/{endpoint}/deliveries"), &t.key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

/// Waits until the endpoint's newest delivery of `kind` has `status`.
pub async fn wait_for_delivery(app: &TestApp, t: &Tenant, endpoint: i64, kind: &str, status: &str) -> Value {
    for _ in 0..300 {
        if let Some(d) = deliveries(app, t, endpoint)
            .await
            .into_iter()
            .find(|d| d["event_type"] == kind && d["status"] == status)
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {status} delivery of {kind}: {:#?}", deliveries(app, t, endpoint).await);
}

fn verifier_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/webhooks/official-verify")
}

/// Whether the official libraries (Python and Node) both accept `r` as
/// signed with `secret`.
pub async fn officially_verified(secret: &str, r: &Received) -> bool {
    let mut child = tokio::process::Command::new(verifier_script())
        .args([
            r.header("webhook-id"),
            r.header("webhook-timestamp"),
            r.header("webhook-signature"),
        ])
        .env("WEBHOOK_SECRET", secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tools/webhooks/official-verify could not be started");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&r.body).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        other => panic!(
            "the official verifiers could not run ({other:?}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// A number driven through its life: every change is an event, in
/// order, equal to its version history; each is delivered, signed (the
/// official libraries agree), byte for byte as `GET /v1/events/{id}`.
#[tokio::test]
async fn a_numbers_life_is_delivered_event_by_event() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let receiver = Receiver::start().await;
    let t = app.tenant("admin").await;
    let (_, secret) = endpoint(&app, &t, &receiver.url(), None).await;

    let number = app.active_number(&t.key, "415").await;
    let id = number["id"].as_i64().unwrap();
    let path = format!("/v1/phone-numbers/{id}");
    let agent = app.create_agent(&t.key, "front desk").await;
    let r = app.patch(&path, &t.key, json!({ "inbound_agent_id": agent })).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.patch(&path, &t.key, json!({ "status": "released" })).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app.delete(&path, &t.key).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    let expected = [
        "phone_number.created",
        "phone_number.activated",
        "phone_number.assigned",
        "phone_number.status_changed",
        "phone_number.deleted",
    ];
    let got = receiver.wait_for(expected.len()).await;
    let events = app
        .get(&format!("/v1/events?phone_number_id={id}"), &t.key)
        .await;
    assert_eq!(events.status, StatusCode::OK, "{:?}", events.body);
    let listed: Vec<&str> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let mut newest_first = expected.to_vec();
    newest_first.reverse();
    assert_eq!(listed, newest_first, "events = the changes, newest first");
    let versions: Vec<i64> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [4, 4, 3, 2, 1]);

    let mut received_types: Vec<String> = got.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
    received_types.sort();
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(received_types, want, "each event delivered once");
    for r in &got {
        let event_id = r.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(r.header("webhook-id"), event_id);
        assert_eq!(r.header("content-type"), "application/json");
        let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now - ts).abs() < 60);
        let stored = app
            .client
            .get(app.url(&format!("/v1/events/{event_id}")))
            .bearer_auth(&t.key)
            .send()
            .await
            .unwrap();
        assert_eq!(stored.status(), StatusCode::OK);
        let stored = stored.bytes().await.unwrap();
        assert_eq!(stored.as_ref(), r.body.as_slice(), "byte for byte the event");
    }
    let created = got.iter().find(|r| r.json()["type"] == "phone_number.created").unwrap();
    assert_eq!(created.json()["data"]["phone_number"]["id"], id);
    assert_eq!(created.json()["data"]["changed_by"]["user_id"], t.user_id);
    let activated = got.iter().find(|r| r.json()["type"] == "phone_number.activated").unwrap();
    assert_eq!(activated.json()["data"]["changed_by"], Value::Null, "the system");
    assert!(officially_verified(&secret, created).await, "Standard Webhooks signature");
    let mut tampered = created.clone();
    tampered.body.extend_from_slice(b" ");
    assert!(!officially_verified(&secret, &tampered).await);

    let delivered = wait_for_delivery(&app, &t, got_endpoint(&app, &t).await, "phone_number.created", "succeeded").await;
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(delivered["last_response_status"], 200);
    assert!(app.metric("thunderphone_webhook_attempts_total{outcome=\"succeeded\"}").await >= 5.0);
    app.stop().await;
}

async fn got_endpoint(app: &TestApp, t: &Tenant) -> i64 {
    let r = app.get("/v1/webhook-endpoints", &t.key).await;
    r.body["data"][0]["id"].as_i64().unwrap()
}

/// Verification outcomes carry their checks; a transfer is `transferred_out`
/// (id, number, target only) in the source org and `transferred_in` in
/// the target org, each delivered to that org's endpoint only.
#[tokio::test]
async fn verifications_and_transfers_reach_the_right_orgs() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let ours = Receiver::start().await;
    let theirs = Receiver::start().await;
    let a = app.tenant("admin").await;
    let b = app.tenant("admin").await;
    endpoint(&app, &a, &ours.url(), None).await;
    endpoint(&app, &b, &theirs.url(), Some(&["phone_number.transferred_in"])).await;

    let bad = app.sip_connection(&a.key, "sip:bad.example.com").await;
    let r = app.import(&a.key, bad, &["+14155552107"]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["data"][0]["id"].as_i64().unwrap();
    let r = app.post(&format!("/v1/phone-numbers/{id}/verify-voip"), &a.key, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let failed = ours.wait_for_type("phone_number.verification_failed").await.json();
    assert_eq!(failed["data"]["verification"]["result"], "failed");
    let checks = failed["data"]["verification"]["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["name"] == "outbound_trunking" && c["passed"] == false));

    let number = app.active_number(&a.key, "212").await;
    let nid = number["id"].as_i64().unwrap();
    b_joins_a(&app, &a, &b).await;
    let r = app
        .post(&format!("/v1/phone-numbers/{nid}/transfer"), &a.key, json!({ "target_org_id": b.org_id }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let out = ours.wait_for_type("phone_number.transferred_out").await.json();
    assert_eq!(
        out["data"],
        json!({ "phone_number_id": nid, "number": number["number"], "to_org_id": b.org_id })
    );
    assert_eq!(out["org_id"], a.org_id);
    let inbound = theirs.wait_for_type("phone_number.transferred_in").await.json();
    assert_eq!(inbound["org_id"], b.org_id);
    assert_eq!(inbound["data"]["phone_number"]["org_id"], b.org_id);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(theirs.types(), ["phone_number.transferred_in"], "b's endpoint subscribes to that only");
    assert!(!ours.types().contains(&"phone_number.transferred_in".to_owned()));
    // Each org sees its own events only.
    let r = app.get(&format!("/v1/events/{}", inbound["id"].as_str().unwrap()), &a.key).await;
    r.assert_problem(404, "not_found");
    app.stop().await;
}

/// The admin of `a` becomes admin of `b` too (transfers need both).
async fn b_joins_a(app: &TestApp, a: &Tenant, b: &Tenant) {
    app.set_role(b.org_id, a.user_id, "admin").await;
}

/// Failed attempts are retried on the schedule until a 2xx.
#[tokio::test]
async fn failures_are_retried_until_the_receiver_answers() {
    let app = TestApp::spawn_with(config("100ms,200ms,300ms"), Default::default()).await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::Status(500), Answer::Status(503)]);
    let t = app.tenant("admin").await;
    let (hook, _) = endpoint(&app, &t, &receiver.url(), Some(&["phone_number.created"])).await;
    app.provision(&t.key, json!({})).await;
    let got = receiver.wait_for(3).await;
    let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "the same webhook-id on every retry");
    let d = wait_for_delivery(&app, &t, hook, "phone_number.created", "succeeded").await;
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_response_status"], 200);
    assert_eq!(d["next_attempt_at"], Value::Null);
    app.stop().await;
}

/// A redirect is a failed attempt, never followed; once the schedule is
/// spent the delivery is `failed`, and a manual retry sends it again.
#[tokio::test]
async fn redirects_are_not_followed_and_failed_deliveries_can_be_retried() {
    let app = TestApp::spawn_with(config("100ms"), Default::default()).await;
    let receiver = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    receiver.script([Answer::Redirect(elsewhere.url()), Answer::Status(500)]);
    let t = app.tenant("admin").await;
    let (hook, _) = endpoint(&app, &t, &receiver.url(), Some(&["phone_number.created"])).await;
    app.provision(&t.key, json!({})).await;
    let failed = wait_for_delivery(&app, &t, hook, "phone_number.created", "failed").await;
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["last_response_status"], 500);
    let all = deliveries(&app, &t, hook).await;
    assert_eq!(all.len(), 1);
    assert!(elsewhere.received().is_empty(), "the redirect was not followed");
    let r = app
        .get(&format!("/v1/webhook-endpoints/{hook}/deliveries?status=failed"), &t.key)
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);

    let delivery = failed["id"].as_i64().unwrap();
    let r = app
        .post(&format!("/v1/webhook-endpoints/{hook}/deliveries/{delivery}/retry"), &t.key, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["status"], "pending");
    let done = wait_for_delivery(&app, &t, hook, "phone_number.created", "succeeded").await;
    assert_eq!(done["attempts"], 3);
    assert_eq!(receiver.received().len(), 3);
    let r = app
        .post(&format!("/v1/webhook-endpoints/{hook}/deliveries/999999/retry"), &t.key, json!({}))
        .await;
    r.assert_problem(404, "not_found");
    app.stop().await;
}

/// A receiver that never answers is a failed attempt after 10 s.
#[tokio::test]
async fn a_silent_receiver_times_out() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::Silence]);
    let t = app.tenant("admin").await;
    let (hook, _) = endpoint(&app, &t, &receiver.url(), Some(&["phone_number.created"])).await;
    let started = Instant::now();
    app.provision(&t.key, json!({})).await;
    let d = wait_for_pending_with_error(&app, &t, hook).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(9) && took < Duration::from_secs(16), "{took:?}");
    assert!(d["last_error"].as_str().unwrap().contains("timed out"), "{d}");
    assert_eq!(d["last_response_status"], Value::Null);
    assert!(app.metric("thunderphone_webhook_attempts_total{outcome=\"no_answer\"}").await >= 1.0);
    app.stop().await;
}

async fn wait_for_pending_with_error(app: &TestApp, t: &Tenant, hook: i64) -> Value {
    for _ in 0..400 {
        if let Some(d) = deliveries(app, t, hook)
            .await
            .into_iter()
            .find(|d| d["attempts"] == 1)
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no attempt recorded");
}

/// After a rotation both secrets sign for 24 h: two signatures, each
/// accepted by the official libraries with its own secret.
#[tokio::test]
async fn rotation_signs_with_both_secrets() {
    let app = TestApp::spawn_with(config("1h"), Default::default()).await;
    let receiver = Receiver::start().await;
    let t = app.tenant("admin").await;
    let (hook, old) = endpoint(&app, &t, &receiver.url(), None).await;
    let r = app
        .post(&format!("/v1/webhook-endpoints/{hook}/rotate-secret"), &t.key, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let r = app
        .post(&format!("/v1/webhook-endpoints/{hook}/test"), &t.key, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let got = receiver.wait_for_type("webhook.test").await;
    assert_eq!(got.json()["data"], json!({}));
    let signatures: Vec<&str> = got.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.starts_with("v1,")));
    assert!(officially_verified(&new, &got).await);
    assert!(officially_verified(&old, &got).await);
    assert!(!officially_verified("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got).await);
    app.stop().await;
}
