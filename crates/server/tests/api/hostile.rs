//! Hostile input: nothing a client sends produces a 5xx, a non-problem
//! error, or a dropped connection.

use reqwest::{Method, StatusCode};

use crate::support::{ADMIN_TOKEN, TestApp};

const ROUTES: &[&str] = &[
    "/v1/phone-numbers",
    "/v1/phone-numbers/1",
    "/v1/phone-numbers/1/transfer",
    "/v1/phone-numbers/1/versions",
    "/v1/phone-numbers/1/verify-voip",
    "/v1/agents",
    "/v1/agents/1",
    "/v1/voip-connections",
    "/v1/voip-connections/1",
    "/v1/voip-connections/1/import",
    "/v1/me",
    "/admin/v1/orgs",
    "/admin/v1/users",
    "/admin/v1/orgs/1/members/1",
    "/admin/v1/api-keys",
    "/admin/v1/api-keys/1",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
];

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW",
];

/// Every error must be problem+json and below 500.
#[track_caller]
fn assert_sane(what: &str, status: StatusCode, content_type: Option<&str>) {
    assert!(status.as_u16() < 500, "{what}: {status}");
    if status.is_client_error() {
        assert_eq!(
            content_type,
            Some("application/problem+json"),
            "{what}: {status}"
        );
    }
}

#[tokio::test]
async fn every_method_on_every_route() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    for route in ROUTES {
        for method in METHODS {
            for key in [t.key.as_str(), ADMIN_TOKEN] {
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let r = app
                    .send(
                        app.req(m, route, key)
                            .header("content-type", "application/json")
                            .body("{}"),
                    )
                    .await;
                assert_sane(
                    &format!("{method} {route}"),
                    r.status,
                    r.header("content-type"),
                );
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn hostile_paths_queries_and_bodies() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    let huge = "9".repeat(400);
    let paths = [
        format!("/v1/phone-numbers/{huge}"),
        "/v1/phone-numbers/-9223372036854775808".to_owned(),
        "/v1/phone-numbers/9223372036854775808".to_owned(),
        "/v1/phone-numbers/1%00".to_owned(),
        "/v1/phone-numbers/%FF%FE".to_owned(),
        "/v1/phone-numbers/1'%20OR%20'1'='1".to_owned(),
        "/v1/phone-numbers?status=%00".to_owned(),
        "/v1/phone-numbers?area_code=%FF".to_owned(),
        format!("/v1/phone-numbers?cursor={}", "A".repeat(10_000)),
        "/v1/phone-numbers?limit=-1".to_owned(),
        "/v1/phone-numbers?limit=99999999999999999999".to_owned(),
        "/v1/phone-numbers?%ZZ=1".to_owned(),
        "/v1/agents/1/../../admin/v1/orgs".to_owned(),
        format!("/{}", "a/".repeat(2000)),
    ];
    for path in &paths {
        let r = app.send(app.req(Method::GET, path, &t.key)).await;
        assert_sane(path, r.status, r.header("content-type"));
    }
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0xfd],
        b"\0\0\0".to_vec(),
        format!("{{\"area_code\": \"{}\"}}", "4".repeat(1_000_000)).into_bytes(),
        format!("{{\"city\": \"{}\"}}", "x".repeat(60_000)).into_bytes(),
        "{\"a\":".repeat(5_000).into_bytes(),
        "[".repeat(100_000).into_bytes(),
        br#"{"area_code": "415", "area_code": "212"}"#.to_vec(),
        br#"{"city": "San\u0000Francisco"}"#.to_vec(),
        br#"{"state": "'; DROP TABLE phone_numbers; --"}"#.to_vec(),
        br#"{"area_code": null, "city": null, "state": null, "__proto__": {}}"#.to_vec(),
        br#"{"area_code": 1e400}"#.to_vec(),
        br#"{"area_code": "\ud800"}"#.to_vec(),
    ];
    for body in bodies {
        for (method, path) in [
            (Method::POST, "/v1/phone-numbers"),
            (Method::PATCH, "/v1/phone-numbers/1"),
            (Method::POST, "/v1/agents"),
        ] {
            let what = format!("{method} {path} with {} bytes", body.len());
            let r = app
                .send(
                    app.req(method, path, &t.key)
                        .header("content-type", "application/json")
                        .body(body.clone()),
                )
                .await;
            assert_sane(&what, r.status, r.header("content-type"));
        }
    }
    // Header abuse.
    let long = format!("Bearer {}", "x".repeat(8000));
    let auths: [&[u8]; 5] = [
        b"Bearer",
        b"Bearer ",
        b"bearer tpk_\xff\xfe",
        b"Basic Og==",
        long.as_bytes(),
    ];
    for auth in auths {
        let value = reqwest::header::HeaderValue::from_bytes(auth).unwrap();
        let r = app
            .send(
                app.client
                    .get(app.url("/v1/me"))
                    .header("authorization", value),
            )
            .await;
        assert_sane(
            &String::from_utf8_lossy(auth),
            r.status,
            r.header("content-type"),
        );
    }
    let odd_tag = reqwest::header::HeaderValue::from_bytes(b"\"\xff\"").unwrap();
    let r = app
        .send(
            app.req(Method::PATCH, "/v1/phone-numbers/1", &t.key)
                .header("if-match", odd_tag)
                .json(&serde_json::json!({})),
        )
        .await;
    assert_sane("if-match", r.status, r.header("content-type"));
    // The server is still fine.
    assert_eq!(app.get("/v1/me", &t.key).await.status, StatusCode::OK);
    app.stop().await;
}

/// Client-chosen method strings are answered 405 and counted under one
/// label: a flood of distinct ones cannot grow `/metrics` (or memory).
#[tokio::test]
async fn custom_methods_share_one_metrics_label() {
    let app = TestApp::spawn().await;
    let before = app.client.get(app.url("/metrics")).send().await.unwrap();
    let before = before.text().await.unwrap().len();
    for i in 0..200 {
        let name = format!("M{i:03}{}", "X".repeat(8_000));
        let m = Method::from_bytes(name.as_bytes()).unwrap();
        for path in ["/v1/me", "/no/such/route"] {
            let r = app.send(app.client.request(m.clone(), app.url(path))).await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
            assert_sane(path, r.status, r.header("content-type"));
        }
    }
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        !metrics.contains("XXXXXXXX"),
        "a method string became a label"
    );
    assert!(metrics.contains("method=\"OTHER\""), "{metrics}");
    // 400 requests add a few series of the OTHER label, not 400.
    assert!(
        metrics.len() < before + 16_384,
        "/metrics grew from {before} to {} bytes",
        metrics.len()
    );
    app.stop().await;
}

/// A body that trickles in slower than the body timeout is answered 408
/// and its connection closed, with or without an Idempotency-Key (which
/// reads the body before the handler does).
#[tokio::test]
async fn a_trickling_body_is_cut_off() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut config = crate::support::test_config();
    config.http.body_timeout_ms = 300;
    let app = TestApp::spawn_with(config, thunderphone_server::Overrides::default()).await;
    let t = app.tenant("owner").await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    for extra in ["", "Idempotency-Key: trickle-1\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /v1/agents HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 64\r\n{extra}\r\n",
            t.key
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            for _ in 0..64 {
                if writer.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut answer)).await;
        trickle.abort();
        assert!(read.is_ok(), "the connection was kept open for the trickle");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{extra:?}: {answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    // Nothing was created by the cut-off requests.
    let agents = app.get("/v1/agents", &t.key).await;
    assert_eq!(agents.body["data"].as_array().unwrap().len(), 0);
    app.stop().await;
}
