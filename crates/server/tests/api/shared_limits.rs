//! Rate limits across instances (API.md §17): with
//! `THUNDERPHONE_REDIS_URL`, every instance takes from one bucket per key;
//! with Redis unreachable, requests are admitted and counted.

use reqwest::StatusCode;

use crate::support::{REDIS_URL, RedisPrefix, StoreKind, TestApp, test_config};
use thunderphone_domain::Secret;

#[tokio::test]
async fn two_instances_sharing_redis_enforce_one_limit() {
    let prefix = RedisPrefix::new();
    let mut config = test_config();
    config.limits.rate_limit_per_sec = 1;
    config.limits.rate_limit_burst = 5;
    config.limits.redis_url = Some(Secret::new(REDIS_URL));
    config.limits.redis_prefix = prefix.0.clone();
    let a = TestApp::spawn_with(config.clone(), Default::default()).await;
    let key_a = a.tenant("member").await.key;
    let (b, key_b) = if crate::STORE == StoreKind::Postgres {
        // Both instances on one database: one key, valid on both.
        config.database.url = a.database_url().map(Secret::new);
        let b = TestApp::spawn_with(config, Default::default()).await;
        (b, key_a.clone())
    } else {
        // Two embedded stores: the same first key id on each, so both
        // instances name the same bucket.
        let b = TestApp::spawn_with(config, Default::default()).await;
        let key = b.tenant("member").await.key;
        (b, key)
    };
    let instances = [(&a, key_a.as_str()), (&b, key_b.as_str())];
    let mut remaining = Vec::new();
    let mut key_ids = Vec::new();
    for i in 0..5 {
        let (app, key) = instances[i % 2];
        let r = app.get("/v1/me", key).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {:?}", r.body);
        remaining.push(r.header("ratelimit-remaining").unwrap().to_owned());
        key_ids.push(r.body["api_key_id"].clone());
    }
    assert!(key_ids.windows(2).all(|w| w[0] == w[1]), "{key_ids:?}");
    assert_eq!(remaining, ["4", "3", "2", "1", "0"], "one bucket");
    for (app, key) in instances {
        let limited = app.get("/v1/me", key).await;
        limited.assert_problem(429, "rate_limited");
        assert!(limited.header("retry-after").is_some());
    }
    assert_eq!(
        a.metric("thunderphone_rate_limit_fail_open_total").await,
        0.0
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn an_unreachable_redis_admits_requests_and_counts_them() {
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = test_config();
    config.limits.rate_limit_per_sec = 1;
    config.limits.rate_limit_burst = 1;
    config.limits.redis_url = Some(Secret::new(format!("redis://127.0.0.1:{port}/")));
    config.limits.redis_timeout_ms = 150;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let t = app.tenant("member").await;
    let metric = "thunderphone_rate_limit_fail_open_total";
    assert_eq!(app.metric(metric).await, 0.0);
    let started = std::time::Instant::now();
    for i in 0..5 {
        let r = app.get("/v1/me", &t.key).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {:?}", r.body);
        assert_eq!(
            r.header("ratelimit-remaining"),
            None,
            "no decision to report"
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "bounded: {:?}",
        started.elapsed()
    );
    assert_eq!(app.metric(metric).await, 5.0);
    app.stop().await;
}
