//! `Idempotency-Key` (API.md §11).

use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, test_config};

#[tokio::test]
async fn a_retried_post_is_replayed_not_repeated() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let post = |key: &str, body: serde_json::Value| {
        app.send(
            app.req(Method::POST, "/v1/phone-numbers", &t.key)
                .header("Idempotency-Key", key)
                .json(&body),
        )
    };
    let first = post("order-1", json!({ "area_code": "415" })).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post("order-1", json!({ "area_code": "415" })).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "same body");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    let list = app.get("/v1/phone-numbers", &t.key).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        1,
        "provisioned once"
    );

    post("order-1", json!({ "area_code": "212" }))
        .await
        .assert_problem(422, "idempotency_key_reused");
    let other_path = app
        .send(
            app.req(Method::POST, "/v1/agents", &t.key)
                .header("Idempotency-Key", "order-1")
                .json(&json!({ "name": "x" })),
        )
        .await;
    other_path.assert_problem(422, "idempotency_key_reused");
    // A new key is new work.
    assert_eq!(
        post("order-2", json!({ "area_code": "415" })).await.body["number"],
        "+14155550101"
    );
    // Errors below 500 are kept too: the same bad request gets the same answer.
    let bad = post("bad-1", json!({ "area_code": "1" })).await;
    bad.assert_problem(422, "validation_failed");
    let bad_again = post("bad-1", json!({ "area_code": "1" })).await;
    assert_eq!(bad_again.header("idempotent-replayed"), Some("true"));
    assert_eq!(bad_again.body["code"], "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn keys_are_checked_and_scoped_to_the_org() {
    let app = TestApp::spawn().await;
    let a = app.tenant("member").await;
    let b = app.tenant("member").await;
    for bad in ["has space", &"k".repeat(256), "ümlaut"] {
        let value = reqwest::header::HeaderValue::from_bytes(bad.as_bytes()).unwrap();
        let r = app
            .send(
                app.req(Method::POST, "/v1/agents", &a.key)
                    .header("Idempotency-Key", value)
                    .json(&json!({ "name": "x" })),
            )
            .await;
        r.assert_problem(422, "validation_failed");
    }
    let ra = app
        .send(
            app.req(Method::POST, "/v1/agents", &a.key)
                .header("Idempotency-Key", "same")
                .json(&json!({ "name": "A" })),
        )
        .await;
    let rb = app
        .send(
            app.req(Method::POST, "/v1/agents", &b.key)
                .header("Idempotency-Key", "same")
                .json(&json!({ "name": "B" })),
        )
        .await;
    assert_eq!(
        (ra.status, rb.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(rb.header("idempotent-replayed"), None);
    assert_eq!(rb.body["org_id"], b.org_id);
    // Without authentication the key changes nothing: still a 401.
    let anon = app
        .send(
            app.client
                .post(app.url("/v1/agents"))
                .header("Idempotency-Key", "same")
                .json(&json!({ "name": "A" })),
        )
        .await;
    anon.assert_problem(401, "unauthorized");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_do_the_work_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let results = join_all((0..12).map(|_| {
        app.send(
            app.req(Method::POST, "/v1/phone-numbers", &t.key)
                .header("Idempotency-Key", "burst")
                .json(&json!({ "state": "NY" })),
        )
    }))
    .await;
    let fresh = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED && r.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(fresh, 1, "{results:?}");
    for r in &results {
        match r.status.as_u16() {
            201 => assert_eq!(
                r.body["number"],
                results.iter().find(|x| x.status == 201).unwrap().body["number"]
            ),
            409 => r.assert_problem(409, "idempotency_in_progress"),
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    let list = app.get("/v1/phone-numbers", &t.key).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    app.stop().await;
}

fn sip_body(name: &str) -> serde_json::Value {
    json!({ "name": name, "provider": "sip", "termination_uri": "sip:pbx.example.com:5060",
        "credentials": { "username": "pbx-user", "password": "pbx-secret-password" } })
}

/// API.md §17: a 429 is not kept. Once the bucket has refilled, the same
/// key runs the request (and only then is its answer kept).
#[tokio::test]
async fn a_rate_limited_request_is_not_replayed() {
    let mut config = test_config();
    config.limits.rate_limit_per_sec = 1;
    config.limits.rate_limit_burst = 2;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let t = app.tenant("member").await;
    let create = || {
        app.send(
            app.req(Method::POST, "/v1/agents", &t.key)
                .header("Idempotency-Key", "agent-1")
                .json(&json!({ "name": "Reception" })),
        )
    };
    // Empty the bucket.
    while app.get("/v1/me", &t.key).await.status != StatusCode::TOO_MANY_REQUESTS {}
    let limited = create().await;
    limited.assert_problem(429, "rate_limited");
    assert_eq!(limited.header("idempotent-replayed"), None);
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let created = create().await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.header("idempotent-replayed"), None, "it ran");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let replayed = create().await;
    assert_eq!(replayed.status, StatusCode::CREATED);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    app.stop().await;
}

/// 401 and 403 are about the caller, not the request: the same key and
/// body from a caller who may make the request runs it.
#[tokio::test]
async fn refusals_of_the_caller_are_not_kept() {
    let app = TestApp::spawn().await;
    let admin = app.tenant("admin").await;
    let member_id = app.create_user("member-403@example.com").await;
    let member = app.join(member_id, admin.org_id, "member").await;
    let create = |key: &str| {
        app.send(
            app.req(Method::POST, "/v1/voip-connections", key)
                .header("Idempotency-Key", "conn-1")
                .json(&sip_body("PBX")),
        )
    };
    create("tpk_not-a-key")
        .await
        .assert_problem(401, "unauthorized");
    let forbidden = create(&member).await;
    forbidden.assert_problem(403, "forbidden");
    assert_eq!(forbidden.header("idempotent-replayed"), None);
    create(&member).await.assert_problem(403, "forbidden");
    let created = create(&admin.key).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.header("idempotent-replayed"), None, "it ran");
    let listed = app.get("/v1/voip-connections", &admin.key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// A replay is served only to a caller who may make the request now: a
/// member replaying an admin's create gets 403, not the admin's 201.
#[tokio::test]
async fn a_member_cannot_replay_an_admins_create() {
    let app = TestApp::spawn().await;
    let admin = app.tenant("admin").await;
    let member_id = app.create_user("member-replay@example.com").await;
    let member = app.join(member_id, admin.org_id, "member").await;
    let create = |key: &str| {
        app.send(
            app.req(Method::POST, "/v1/voip-connections", key)
                .header("Idempotency-Key", "conn-1")
                .json(&sip_body("PBX")),
        )
    };
    let created = create(&admin.key).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let replayed_to_member = create(&member).await;
    replayed_to_member.assert_problem(403, "forbidden");
    assert_eq!(replayed_to_member.header("idempotent-replayed"), None);
    assert_ne!(replayed_to_member.body["id"], created.body["id"]);
    // The admin still gets the replay.
    let replayed = create(&admin.key).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, created.body);
    app.stop().await;
}
