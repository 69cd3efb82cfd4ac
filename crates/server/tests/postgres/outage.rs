//! A database outage: requests get 503 problem+json, nothing is half
//! written, `/readyz` says so, and service comes back by itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use thunderphone_server::{Config, Overrides, start};
use thunderphone_test_db::TestDb;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::harness::{ADMIN, Api};
use thunderphone_domain::Secret;

/// A TCP proxy to Postgres that can be cut: when cut, it drops every
/// connection it carries and refuses new ones by closing them at once.
struct Switch {
    open: AtomicBool,
    cut: Notify,
}

async fn proxy(upstream: SocketAddr, switch: Arc<Switch>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            if !switch.open.load(Ordering::SeqCst) {
                drop(client);
                continue;
            }
            let switch = switch.clone();
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    () = switch.cut.notified() => {}
                }
            });
        }
    });
    addr
}

fn via_proxy(url: &str, proxy: SocketAddr) -> String {
    url.replace("127.0.0.1:5432", &proxy.to_string())
        .replace("localhost:5432", &proxy.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outage_is_a_clean_503_and_heals_by_itself() {
    let db = TestDb::create();
    assert!(
        db.url().contains(":5432"),
        "the proxy rewrites the default port: {}",
        db.url()
    );
    let switch = Arc::new(Switch {
        open: AtomicBool::new(true),
        cut: Notify::new(),
    });
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxied = via_proxy(db.url(), proxy(upstream, switch.clone()).await);
    let mut config = Config::for_tests();
    config.database.url = Some(Secret::new(proxied));
    config.secrets.admin_token = Some(Secret::new(ADMIN));
    config.pool.demo_activation_ms = 10;
    config.database.connect_timeout_ms = 500;
    config.limits.rate_limit_per_sec = 0;
    let running = start(&config, Overrides::default()).await.unwrap();
    let base = format!("http://{}", running.addr);
    let api = Api::new();
    let (_, _, key) = api.tenant(&base, "acme").await;
    let (_, n) = api
        .post(
            &base,
            "/v1/phone-numbers",
            &key,
            json!({ "area_code": "415" }),
        )
        .await;
    api.settle(&base, &key, Duration::from_secs(10)).await;
    let id = n["id"].as_i64().unwrap();

    // Cut the database off.
    switch.open.store(false, Ordering::SeqCst);
    switch.cut.notify_waiters();
    for (method, path, body) in [
        (
            reqwest::Method::GET,
            format!("/v1/phone-numbers/{id}"),
            None,
        ),
        (
            reqwest::Method::POST,
            "/v1/phone-numbers".to_owned(),
            Some(json!({ "area_code": "415" })),
        ),
        (
            reqwest::Method::PATCH,
            format!("/v1/phone-numbers/{id}"),
            Some(json!({ "status": "released" })),
        ),
        (reqwest::Method::GET, "/readyz".to_owned(), None),
    ] {
        let res = api
            .client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(&key);
        let res = match body {
            Some(b) => res.json(&b),
            None => res,
        }
        .send()
        .await
        .unwrap();
        assert_eq!(res.status(), 503, "{method} {path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert!(res.headers().contains_key("retry-after"));
        let problem: serde_json::Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "unavailable", "{problem}");
        assert!(
            !problem["detail"].as_str().unwrap().contains("5432"),
            "no connection details leak"
        );
    }

    // Back on: the pool reconnects by itself.
    switch.open.store(true, Ordering::SeqCst);
    let started = Instant::now();
    loop {
        let (status, _) = api.get(&base, "/readyz", &key).await;
        if status == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, number) = api
        .get(&base, &format!("/v1/phone-numbers/{id}"), &key)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        number["status"], "active",
        "the refused PATCH changed nothing"
    );
    assert_eq!(number["version"], 2);
    assert_eq!(
        api.all_numbers(&base, &key, "").await.len(),
        1,
        "the refused provision reserved nothing"
    );
    running.stop().await;
    drop(db);
}
