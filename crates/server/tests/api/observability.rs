//! Request ids, metrics and rate limits.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, test_config};

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let given = app
        .send(
            app.req(Method::GET, "/v1/me", &t.key)
                .header("X-Request-Id", "trace-abc-123"),
        )
        .await;
    assert_eq!(given.header("x-request-id"), Some("trace-abc-123"));
    let made = app.get("/v1/me", &t.key).await;
    let id = made.header("x-request-id").unwrap().to_owned();
    assert!(id.starts_with("req_"), "{id}");
    let other = app.get("/v1/me", &t.key).await;
    assert_ne!(other.header("x-request-id"), Some(id.as_str()));
    // Unsafe ids are replaced, not echoed.
    let unsafe_id = app
        .send(
            app.req(Method::GET, "/v1/me", &t.key)
                .header("X-Request-Id", "a b"),
        )
        .await;
    assert_ne!(unsafe_id.header("x-request-id"), Some("a b"));
    // Problem bodies carry the id too, including actix's own errors.
    for r in [
        app.send(
            app.req(Method::GET, "/v1/phone-numbers/999", &t.key)
                .header("X-Request-Id", "p-1"),
        )
        .await,
        app.send(
            app.req(Method::GET, "/nowhere", &t.key)
                .header("X-Request-Id", "p-1"),
        )
        .await,
        app.send(
            app.client
                .get(app.url("/v1/me"))
                .header("X-Request-Id", "p-1"),
        )
        .await,
    ] {
        assert_eq!(r.body["request_id"], "p-1", "{:?}", r.body);
        assert_eq!(r.header("x-request-id"), Some("p-1"));
    }
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_jobs_and_pool() {
    let app = TestApp::spawn().await;
    let t = app.tenant("admin").await;
    app.active_number(&t.key, "415").await;
    app.get("/v1/phone-numbers/999", &t.key).await;
    let conn = app.sip_connection(&t.key, "sip:good.example.com").await;
    let n = app.import(&t.key, conn, &["+12125552142"]).await.body["data"][0]["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/v1/phone-numbers/{n}/verify-voip"),
        &t.key,
        json!({}),
    )
    .await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for needle in [
        r#"thunderphone_http_requests_total{method="POST",route="/v1/phone-numbers",status="201"} 1"#,
        r#"thunderphone_http_requests_total{method="GET",route="/v1/phone-numbers/{phone_number_id}",status="404"} 1"#,
        r#"thunderphone_http_request_duration_seconds_bucket{method="POST",route="/v1/phone-numbers",status="201",le="#,
        r#"thunderphone_voip_verifications_total{result="verified"} 1"#,
        r#"thunderphone_phone_numbers{source="demo",status="active"} 1"#,
        r#"thunderphone_phone_numbers{source="voip",status="active"} 1"#,
        r#"thunderphone_activation_jobs{state="due"} 0"#,
        // 356 area codes whose numbers libphonenumber accepts × 100, minus
        // the demo number (imports cannot take pool numbers).
        "thunderphone_demo_pool_free_numbers 35599",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn rate_limits_apply_per_key_with_headers() {
    let mut config = test_config();
    config.limits.rate_limit_per_sec = 1;
    config.limits.rate_limit_burst = 3;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let a = app.tenant("member").await;
    let b = app.tenant("member").await;
    let first = app.get("/v1/me", &a.key).await;
    assert_eq!(first.header("ratelimit-limit"), Some("3"));
    assert_eq!(first.header("ratelimit-remaining"), Some("2"));
    assert!(first.header("ratelimit-reset").is_some());
    app.get("/v1/me", &a.key).await;
    app.get("/v1/me", &a.key).await;
    let limited = app.get("/v1/me", &a.key).await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    // Other keys, probes and the operator API are not affected.
    assert_eq!(app.get("/v1/me", &b.key).await.status, StatusCode::OK);
    for _ in 0..5 {
        assert_eq!(
            app.send(app.client.get(app.url("/healthz"))).await.status,
            StatusCode::OK
        );
    }
    assert!(app.create_org("Not limited").await > 0);
    // The bucket refills.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.get("/v1/me", &a.key).await.status, StatusCode::OK);
    app.stop().await;
}

/// Reads (authenticated in the same store call) take from the same
/// bucket, carry the headers, and get a 429 once it is empty — also when
/// the request is invalid in itself.
#[tokio::test]
async fn read_routes_share_the_rate_limit() {
    let mut config = test_config();
    config.limits.rate_limit_per_sec = 1;
    config.limits.rate_limit_burst = 4;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let t = app.tenant("member").await;
    let listed = app.get("/v1/phone-numbers", &t.key).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.header("ratelimit-remaining"), Some("3"));
    let missing = app.get("/v1/phone-numbers/424242", &t.key).await;
    missing.assert_problem(404, "not_found");
    assert_eq!(missing.header("ratelimit-remaining"), Some("2"));
    let bad_id = app.get("/v1/phone-numbers/x", &t.key).await;
    bad_id.assert_problem(404, "not_found");
    assert_eq!(bad_id.header("ratelimit-remaining"), Some("1"));
    let bad_query = app.get("/v1/phone-numbers?status=bogus", &t.key).await;
    bad_query.assert_problem(422, "validation_failed");
    assert_eq!(bad_query.header("ratelimit-remaining"), Some("0"));
    for route in [
        "/v1/phone-numbers",
        "/v1/phone-numbers/424242",
        "/v1/phone-numbers/x",
        "/v1/phone-numbers?status=bogus",
    ] {
        let limited = app.get(route, &t.key).await;
        limited.assert_problem(429, "rate_limited");
        assert!(limited.header("retry-after").is_some(), "{route}");
    }
    app.stop().await;
}

#[tokio::test]
async fn rate_limiting_can_be_turned_off() {
    let mut config = test_config();
    config.limits.rate_limit_per_sec = 0;
    config.limits.rate_limit_burst = 1;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let a = app.tenant("member").await;
    for _ in 0..20 {
        let r = app.get("/v1/me", &a.key).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("ratelimit-limit"), None);
    }
    app.stop().await;
}
