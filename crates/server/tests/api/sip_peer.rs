//! Import and verify through a SIP connection with the real SIP verifier,
//! against a live SIP peer (an in-process UDP user agent) and a dead one.

use reqwest::StatusCode;
use serde_json::json;
use thunderphone_server::Overrides;
use tokio::net::UdpSocket;

use crate::support::{TestApp, test_config};

/// A SIP peer that answers every OPTIONS with `200 OK`.
async fn live_peer() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let copied: Vec<&str> = request
                .lines()
                .filter(|l| {
                    ["via:", "from:", "to:", "call-id:", "cseq:"]
                        .iter()
                        .any(|h| l.to_ascii_lowercase().starts_with(h))
                })
                .collect();
            let mut response = String::from("SIP/2.0 200 OK\r\n");
            for line in copied {
                response.push_str(line.trim_end());
                if line.to_ascii_lowercase().starts_with("to:") && !line.contains("tag=") {
                    response.push_str(";tag=peer1");
                }
                response.push_str("\r\n");
            }
            response
                .push_str("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\nContent-Length: 0\r\n\r\n");
            let _ = socket.send_to(response.as_bytes(), from).await;
        }
    });
    port
}

/// A port nobody answers on.
async fn dead_peer() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    // Keep it bound (so nothing else takes it) but never answer.
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while socket.recv_from(&mut buf).await.is_ok() {}
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn import_and_verify_through_a_live_and_a_dead_sip_trunk() {
    let mut config = test_config();
    config.carriers.sip_options_timeout_ms = 500;
    // The peers listen on loopback, which the gate refuses unless allowed.
    config.outbound.allow = "127.0.0.0/8".parse().unwrap();
    let verifier = thunderphone_server::carriers::verifier(&config).unwrap();
    let overrides = Overrides {
        verifier: Some(verifier),
        ..Default::default()
    };
    let app = TestApp::spawn_with(config, overrides).await;
    let t = app.tenant("owner").await;
    let live = app
        .sip_connection(&t.key, &format!("sip:127.0.0.1:{}", live_peer().await))
        .await;
    let dead = app
        .sip_connection(&t.key, &format!("sip:127.0.0.1:{}", dead_peer().await))
        .await;

    let ok = app.import(&t.key, live, &["+14155552142"]).await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let id = ok.body["data"][0]["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/v1/phone-numbers/{id}/verify-voip"),
            &t.key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["verification"]["result"], "verified", "{:?}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["voip_verification_status"], "verified");
    assert!(r.body["voip_last_verified_at"].is_string());

    let bad = app.import(&t.key, dead, &["+14155552143"]).await;
    let id = bad.body["data"][0]["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/v1/phone-numbers/{id}/verify-voip"),
            &t.key,
            json!({}),
        )
        .await;
    assert_eq!(r.body["verification"]["result"], "failed", "{:?}", r.body);
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["voip_verification_status"], "failed");
    let failed: Vec<_> = r.body["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert!(!failed.is_empty());
    let details: Vec<&str> = failed
        .iter()
        .map(|c| c["detail"].as_str().unwrap())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("timed out") || d.contains("unreachable")),
        "{details:?}"
    );
    assert!(
        r.body["status_reason"]
            .as_str()
            .unwrap()
            .contains("VoIP verification failed")
    );
    app.stop().await;
}
