//! Failed-authentication limiting per client address and the
//! `WWW-Authenticate` challenge (API.md §17).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Response, TestApp, test_config};

/// A key of the right shape that no one was issued: looking it up would
/// cost a store call, unlike a malformed one.
const UNKNOWN_KEY: &str = "tpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The default limit (`THUNDERPHONE_AUTH_FAILURES_PER_MIN`).
const LIMIT: usize = 30;

#[track_caller]
fn assert_limited(r: &Response) {
    r.assert_problem(429, "rate_limited");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After on the 429")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(r.header("www-authenticate"), None);
}

async fn me(app: &TestApp, key: &str, forwarded_for: Option<&str>) -> Response {
    let mut rb = app.req(Method::GET, "/v1/me", key);
    if let Some(xff) = forwarded_for {
        rb = rb.header("X-Forwarded-For", xff);
    }
    app.send(rb).await
}

#[tokio::test]
async fn bad_keys_from_one_address_are_refused_before_any_lookup() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    for _ in 0..LIMIT {
        me(&app, UNKNOWN_KEY, None)
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_limited(&me(&app, UNKNOWN_KEY, None).await);
    // The good key from the same address is refused as well: the key is
    // not even looked at while the address is limited.
    assert_limited(&me(&app, &t.key, None).await);
    let idempotent = app
        .send(
            app.req(Method::POST, "/v1/agents", &t.key)
                .header("Idempotency-Key", "k-1")
                .json(&json!({ "name": "A" })),
        )
        .await;
    assert_limited(&idempotent);
    // Probes are not limited.
    let health = app.send(app.client.get(app.url("/healthz"))).await;
    assert_eq!(health.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_trusted_proxies() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    for i in 0..LIMIT {
        let spoofed = format!("203.0.113.{i}");
        me(&app, UNKNOWN_KEY, Some(&spoofed))
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_limited(&me(&app, UNKNOWN_KEY, Some("198.51.100.1")).await);
    assert_limited(&me(&app, &t.key, Some("198.51.100.2")).await);
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_counts_alone() {
    let mut config = test_config();
    config.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = TestApp::spawn_with(config, Default::default()).await;
    let t = app.tenant("member").await;
    let attacker = "203.0.113.7";
    for _ in 0..LIMIT {
        me(&app, UNKNOWN_KEY, Some(attacker))
            .await
            .assert_problem(401, "unauthorized");
    }
    assert_limited(&me(&app, UNKNOWN_KEY, Some(attacker)).await);
    assert_limited(&me(&app, &t.key, Some(attacker)).await);
    // Entries left of the proxy's own are the client's word: prepending
    // another address does not escape the limit.
    assert_limited(&me(&app, &t.key, Some("198.51.100.9, 203.0.113.7")).await);
    // Another client behind the same proxy, and the proxy itself, are
    // unaffected.
    let other = me(&app, &t.key, Some("203.0.113.8")).await;
    assert_eq!(other.status, StatusCode::OK, "{:?}", other.body);
    assert_eq!(me(&app, &t.key, None).await.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn operator_token_guesses_are_limited_too() {
    let app = TestApp::spawn().await;
    let create_org = |token: &str| {
        app.send(
            app.client
                .post(app.url("/admin/v1/orgs"))
                .bearer_auth(token)
                .json(&json!({ "name": "Guess" })),
        )
    };
    for i in 0..LIMIT {
        let r = create_org(&format!("guess-{i}")).await;
        r.assert_problem(401, "unauthorized");
        assert_eq!(
            r.header("www-authenticate"),
            Some(r#"Bearer realm="thunderphone-operator", error="invalid_token""#)
        );
    }
    assert_limited(&create_org("guess-31").await);
    assert_limited(&create_org(crate::support::ADMIN_TOKEN).await);
    app.stop().await;
}

#[tokio::test]
async fn every_401_carries_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let challenge = |r: &Response| r.header("www-authenticate").map(str::to_owned);
    let none = app.send(app.client.get(app.url("/v1/me"))).await;
    none.assert_problem(401, "unauthorized");
    assert_eq!(
        challenge(&none).as_deref(),
        Some(r#"Bearer realm="thunderphone""#),
        "no token presented: no error code"
    );
    let basic = app
        .send(
            app.client
                .get(app.url("/v1/phone-numbers"))
                .basic_auth("user", Some("pass")),
        )
        .await;
    basic.assert_problem(401, "unauthorized");
    assert_eq!(
        challenge(&basic).as_deref(),
        Some(r#"Bearer realm="thunderphone""#)
    );
    let invalid = r#"Bearer realm="thunderphone", error="invalid_token""#;
    for r in [
        me(&app, UNKNOWN_KEY, None).await,
        me(&app, "malformed", None).await,
        app.get("/v1/phone-numbers/1", UNKNOWN_KEY).await,
        app.post("/v1/agents", UNKNOWN_KEY, json!({ "name": "A" }))
            .await,
        app.send(
            app.req(Method::POST, "/v1/agents", UNKNOWN_KEY)
                .header("Idempotency-Key", "k-1")
                .json(&json!({ "name": "A" })),
        )
        .await,
    ] {
        r.assert_problem(401, "unauthorized");
        assert_eq!(challenge(&r).as_deref(), Some(invalid), "{:?}", r.body);
    }
    let operator = app
        .send(
            app.client
                .post(app.url("/admin/v1/orgs"))
                .json(&json!({ "name": "x" })),
        )
        .await;
    operator.assert_problem(401, "unauthorized");
    assert_eq!(
        challenge(&operator).as_deref(),
        Some(r#"Bearer realm="thunderphone-operator""#)
    );
    app.stop().await;
}
