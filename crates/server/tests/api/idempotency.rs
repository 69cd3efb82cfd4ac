//! `Idempotency-Key` (API.md §11).

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

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
