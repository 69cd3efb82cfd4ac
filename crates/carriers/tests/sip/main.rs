//! SipVerifier against in-process SIP peers over UDP and TCP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod peer;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_no_secret, check, connection, number};
use peer::{Peer, Scenario};
use thunderphone_carriers::{SipVerifier, SipVerifierConfig};
use thunderphone_domain::{Secret, VoipCredentials, VoipProvider};
use thunderphone_outbound::{DnsGate, GateConfig};
use thunderphone_ports::{CheckOutcome, VoipVerifier};

const PASSWORD: &str = "s3cret-sip-password";

/// The peers listen on loopback, which the gate refuses unless allowed:
/// these tests allow it.
fn verifier(timeout: Duration) -> SipVerifier {
    let gate = DnsGate::new(GateConfig {
        allow: "127.0.0.0/8,::1".parse().unwrap(),
        ..GateConfig::default()
    });
    SipVerifier::new(
        SipVerifierConfig {
            options_timeout: timeout,
            public_address: Some("203.0.113.10".into()),
        },
        Arc::new(gate),
    )
}

fn creds(user: Option<&str>, password: Option<&str>) -> VoipCredentials {
    VoipCredentials::Sip {
        username: user.map(str::to_owned),
        password: password.map(Secret::new),
    }
}

async fn run_uri(uri: &str, credentials: &VoipCredentials, timeout: Duration) -> Vec<CheckOutcome> {
    let conn = connection(VoipProvider::Sip, Some(uri));
    let checks = verifier(timeout)
        .verify(&conn, credentials, &number("+14155550123"))
        .await;
    assert_no_secret(&checks, PASSWORD);
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["credentials", "outbound_trunking"], "{checks:#?}");
    checks
}

async fn run(peer: &Peer, credentials: &VoipCredentials) -> Vec<CheckOutcome> {
    run_uri(
        &format!("sip:{}", peer.addr),
        credentials,
        Duration::from_secs(2),
    )
    .await
}

#[tokio::test]
async fn a_200_verifies_a_trunk_that_allows_us_by_address() {
    let peer = peer::udp(Scenario::Answer(200, "OK")).await;
    let checks = run(&peer, &creds(None, None)).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert!(
        check(&checks, "credentials")
            .detail
            .contains("no credentials configured")
    );
    assert!(
        check(&checks, "outbound_trunking")
            .detail
            .contains("200 OK")
    );
    let request = &peer.requests()[0];
    assert!(
        request.starts_with(&format!("OPTIONS sip:{} SIP/2.0\r\n", peer.addr)),
        "{request}"
    );
}

#[tokio::test]
async fn a_403_asks_for_the_allowlist() {
    let peer = peer::udp(Scenario::Answer(403, "Forbidden")).await;
    let checks = run(&peer, &creds(None, None)).await;
    let out = check(&checks, "outbound_trunking");
    assert!(!out.passed);
    assert!(
        out.detail.contains("403 Forbidden") && out.detail.contains("allowlist"),
        "{}",
        out.detail
    );
    assert!(out.detail.contains("203.0.113.10"), "{}", out.detail);
    assert!(!check(&checks, "credentials").passed);
}

#[tokio::test]
async fn other_statuses_are_shown() {
    let peer = peer::udp(Scenario::Answer(404, "Not Found")).await;
    let checks = run(&peer, &creds(None, None)).await;
    let out = check(&checks, "outbound_trunking");
    assert!(
        !out.passed && out.detail.contains("404 Not Found"),
        "{}",
        out.detail
    );
}

#[tokio::test]
async fn a_digest_challenge_is_answered_and_checked_by_the_peer() {
    let peer = peer::udp(Scenario::Challenge {
        user: "alice",
        password: PASSWORD,
        proxy: false,
    })
    .await;
    let checks = run(&peer, &creds(Some("alice"), Some(PASSWORD))).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert!(
        check(&checks, "credentials")
            .detail
            .contains("accepted the digest credentials of user alice")
    );
    assert_eq!(peer.notes(), ["digest ok"]);
    let requests = peer.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].contains("Authorization: Digest username=\"alice\""));
    assert!(requests[1].contains("qop=auth"));
    assert!(requests[1].contains("CSeq: 2 OPTIONS"));
    assert!(requests.iter().all(|r| !r.contains(PASSWORD)));
    // Both tries come from the same port: trunks may answer there only.
    let sent_by = |r: &str| {
        r.lines()
            .find(|l| l.starts_with("Via:"))
            .map(|l| l.split(';').next().unwrap_or_default().to_owned())
    };
    assert_eq!(sent_by(&requests[0]), sent_by(&requests[1]));
}

#[tokio::test]
async fn a_proxy_challenge_gets_proxy_authorization() {
    let peer = peer::udp(Scenario::Challenge {
        user: "alice",
        password: PASSWORD,
        proxy: true,
    })
    .await;
    let checks = run(&peer, &creds(Some("alice"), Some(PASSWORD))).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert!(peer.requests()[1].contains("Proxy-Authorization: Digest"));
}

#[tokio::test]
async fn a_wrong_password_fails_the_credentials_check() {
    let peer = peer::udp(Scenario::Challenge {
        user: "alice",
        password: PASSWORD,
        proxy: false,
    })
    .await;
    let checks = run(&peer, &creds(Some("alice"), Some("wrong"))).await;
    let c = check(&checks, "credentials");
    assert!(
        !c.passed && c.detail.contains("check the username and password"),
        "{}",
        c.detail
    );
    assert_eq!(peer.notes(), ["digest bad"]);
}

#[tokio::test]
async fn a_challenge_without_stored_credentials_says_to_add_them() {
    let peer = peer::udp(Scenario::Challenge {
        user: "alice",
        password: PASSWORD,
        proxy: false,
    })
    .await;
    let checks = run(&peer, &creds(None, None)).await;
    let c = check(&checks, "credentials");
    assert!(
        !c.passed && c.detail.contains("no username and password"),
        "{}",
        c.detail
    );
    assert!(
        check(&checks, "outbound_trunking")
            .detail
            .contains("401 Unauthorized")
    );
}

#[tokio::test]
async fn a_closed_port_times_out() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    drop(socket);
    let start = Instant::now();
    let checks = run_uri(
        &format!("sip:{addr}"),
        &creds(None, None),
        Duration::from_secs(1),
    )
    .await;
    let out = check(&checks, "outbound_trunking");
    assert!(!out.passed);
    assert!(
        out.detail.starts_with(&format!(
            "trunk unreachable: SIP OPTIONS to sip:{addr} timed out after 1 s"
        )),
        "{}",
        out.detail
    );
    assert!(start.elapsed() >= Duration::from_secs(1) && start.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_silent_trunk_times_out_after_retransmitting() {
    let peer = peer::udp(Scenario::Silent).await;
    let checks = run_uri(
        &format!("sip:{}", peer.addr),
        &creds(None, None),
        Duration::from_secs(1),
    )
    .await;
    assert!(
        check(&checks, "outbound_trunking")
            .detail
            .contains("timed out after 1 s")
    );
    // Timer A: sent at 0 s and 0.5 s within the 1 s budget.
    assert_eq!(peer.requests().len(), 2);
}

#[tokio::test]
async fn a_lost_datagram_is_retransmitted() {
    let peer = peer::udp(Scenario::DropFirst).await;
    let checks = run(&peer, &creds(None, None)).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    let requests = peer.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0], requests[1],
        "a retransmission is the same request"
    );
}

#[tokio::test]
async fn provisional_answers_are_skipped() {
    let peer = peer::udp(Scenario::TryingThenOk).await;
    let checks = run(&peer, &creds(None, None)).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
}

#[tokio::test]
async fn garbage_is_reported_with_the_timeout() {
    let peer = peer::udp(Scenario::Garbage).await;
    let checks = run_uri(
        &format!("sip:{}", peer.addr),
        &creds(None, None),
        Duration::from_secs(1),
    )
    .await;
    let out = check(&checks, "outbound_trunking");
    assert!(
        out.detail.contains("not a valid SIP response"),
        "{}",
        out.detail
    );
}

#[tokio::test]
async fn tcp_trunks_are_checked_over_tcp() {
    let peer = peer::tcp(Scenario::Answer(200, "OK")).await;
    let checks = run_uri(
        &format!("sip:{};transport=tcp", peer.addr),
        &creds(None, None),
        Duration::from_secs(2),
    )
    .await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert!(peer.requests()[0].contains("Via: SIP/2.0/TCP "));
}

#[tokio::test]
async fn tcp_digest_and_provisional_answers() {
    let peer = peer::tcp(Scenario::Challenge {
        user: "bob",
        password: PASSWORD,
        proxy: false,
    })
    .await;
    let uri = format!("sip:{};transport=tcp", peer.addr);
    let checks = run_uri(
        &uri,
        &creds(Some("bob"), Some(PASSWORD)),
        Duration::from_secs(2),
    )
    .await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    assert_eq!(peer.notes(), ["digest ok"]);
    let trying = peer::tcp(Scenario::TryingThenOk).await;
    let uri = format!("sip:{};transport=tcp", trying.addr);
    let checks = run_uri(&uri, &creds(None, None), Duration::from_secs(2)).await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
}

#[tokio::test]
async fn a_closed_tcp_port_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let checks = run_uri(
        &format!("sip:{addr};transport=tcp"),
        &creds(None, None),
        Duration::from_secs(1),
    )
    .await;
    let out = check(&checks, "outbound_trunking");
    assert!(
        out.detail
            .starts_with("trunk unreachable: could not open a TCP connection"),
        "{}",
        out.detail
    );
}

#[tokio::test]
async fn unusable_uris_and_connections_say_why() {
    let checks = run_uri(
        "sips:pbx.example.com",
        &creds(None, None),
        Duration::from_secs(1),
    )
    .await;
    assert!(check(&checks, "outbound_trunking").detail.contains("TLS"));
    let conn = connection(VoipProvider::Sip, None);
    let checks = verifier(Duration::from_secs(1))
        .verify(&conn, &creds(None, None), &number("+14155550123"))
        .await;
    assert!(
        check(&checks, "outbound_trunking")
            .detail
            .contains("no termination URI")
    );
    let twilio = VoipCredentials::Twilio {
        account_sid: "AC1".into(),
        auth_token: Secret::new(PASSWORD),
    };
    let checks = verifier(Duration::from_secs(1))
        .verify(
            &connection(VoipProvider::Sip, Some("sip:127.0.0.1")),
            &twilio,
            &number("+14155550123"),
        )
        .await;
    assert!(!checks[0].passed);
    assert_no_secret(&checks, PASSWORD);
}
