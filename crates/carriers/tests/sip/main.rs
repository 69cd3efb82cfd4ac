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
use thunderphone_domain::{
    Secret, SipPassword, SipUsername, TwilioAccountSid, VoipCredentials, VoipProvider,
};
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
        username: user.map(|u| SipUsername::parse(u).unwrap()),
        password: password.map(|p| SipPassword::parse(p).unwrap()),
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
    assert_eq!(
        check(&checks, "credentials").detail,
        "the trunk accepted the digest credentials"
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
    // What the peer sent is not echoed (it might be another service's banner).
    assert!(
        !out.detail.contains("HTTP/1.1") && !out.detail.contains("Bad Request"),
        "{}",
        out.detail
    );
}

#[tokio::test]
async fn tcp_garbage_is_reported_without_quoting_it() {
    let peer = peer::tcp(Scenario::Garbage).await;
    let checks = run_uri(
        &format!("sip:{};transport=tcp", peer.addr),
        &creds(None, None),
        Duration::from_secs(1),
    )
    .await;
    let out = check(&checks, "outbound_trunking");
    assert!(
        out.detail.contains("not a valid SIP response")
            && out.detail.contains("not a SIP status line")
            && !out.detail.contains("HTTP/1.1"),
        "{}",
        out.detail
    );
}

/// The status line a hostile peer may send: a long reason with control
/// bytes and terminal escapes in it.
fn hostile_reason() -> &'static str {
    let reason = format!(
        "{}\u{1}\u{1b}[2J\rINJECTED\u{7f}{}",
        "R".repeat(200),
        "S".repeat(50)
    );
    Box::leak(reason.into_boxed_str())
}

#[tokio::test]
async fn a_long_hostile_reason_phrase_is_cut_to_64_printable_characters() {
    for tcp in [false, true] {
        let scenario = Scenario::Answer(403, hostile_reason());
        let (peer, uri) = if tcp {
            let peer = peer::tcp(scenario).await;
            let uri = format!("sip:{};transport=tcp", peer.addr);
            (peer, uri)
        } else {
            let peer = peer::udp(scenario).await;
            let uri = format!("sip:{}", peer.addr);
            (peer, uri)
        };
        let checks = run_uri(&uri, &creds(None, None), Duration::from_secs(2)).await;
        let out = check(&checks, "outbound_trunking");
        assert!(!out.passed);
        let quoted = format!("403 {}", "R".repeat(64));
        assert!(out.detail.contains(&quoted), "{}", out.detail);
        assert!(!out.detail.contains(&"R".repeat(65)), "{}", out.detail);
        assert!(!out.detail.contains("INJECTED"), "{}", out.detail);
        for c in checks {
            assert!(!c.detail.chars().any(char::is_control), "{c:?}");
        }
        drop(peer);
    }
}

const USER: &str = "trunk.user_1";

/// Every check of a run against each kind of answer, with a username that
/// must never be quoted.
#[tokio::test]
async fn details_never_quote_the_username_or_the_realm() {
    let mut all = Vec::new();
    let open = peer::udp(Scenario::Answer(200, "OK")).await;
    all.extend(run(&open, &creds(Some(USER), Some(PASSWORD))).await);
    for password in [PASSWORD, "wrong"] {
        let peer = peer::udp(Scenario::Challenge {
            user: USER,
            password: PASSWORD,
            proxy: false,
        })
        .await;
        all.extend(run(&peer, &creds(Some(USER), Some(password))).await);
    }
    let forbidden = peer::udp(Scenario::ChallengeThen403).await;
    all.extend(run(&forbidden, &creds(Some(USER), Some(PASSWORD))).await);
    assert!(all.len() >= 8, "{all:#?}");
    for c in &all {
        assert!(!c.detail.contains(USER), "username quoted: {c:?}");
        assert!(!c.detail.contains(peer::REALM), "realm quoted: {c:?}");
    }
}

/// Splits a captured request into its lines; panics unless it is one
/// well-formed SIP request: a request line, `Name: value` headers without
/// control characters, a blank line and nothing after it.
fn lines_of(request: &str) -> Vec<&str> {
    let (head, rest) = request.split_once("\r\n\r\n").expect("a blank line");
    assert_eq!(rest, "", "nothing after the headers");
    let lines: Vec<&str> = head.split("\r\n").collect();
    assert!(lines[0].starts_with("OPTIONS sip:") && lines[0].ends_with(" SIP/2.0"));
    for line in &lines {
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
    for line in &lines[1..] {
        let (name, value) = line.split_once(": ").expect("Name: value");
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{line:?}"
        );
        assert!(!value.is_empty(), "{line:?}");
    }
    lines
}

#[tokio::test]
async fn a_realistic_connection_sends_only_well_formed_lines() {
    for (uri_user, digest_user) in [
        ("+15551234567", "+15551234567"),
        (USER, USER),
        ("pbx%40corp.example", "pbx@corp.example"),
    ] {
        let digest_user: &'static str = Box::leak(digest_user.to_owned().into_boxed_str());
        let peer = peer::udp(Scenario::Challenge {
            user: digest_user,
            password: PASSWORD,
            proxy: true,
        })
        .await;
        let checks = run(&peer, &creds(Some(uri_user), Some(PASSWORD))).await;
        assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
        assert_eq!(peer.notes(), ["digest ok"]);
        let requests = peer.requests();
        assert_eq!(requests.len(), 2);
        for request in &requests {
            assert!(!request.contains(PASSWORD));
            for line in lines_of(request) {
                let holds_user = line.contains(uri_user) || line.contains(digest_user);
                let allowed = line.starts_with(&format!("From: <sip:{uri_user}@"))
                    || line.starts_with(&format!(
                        "Proxy-Authorization: Digest username=\"{digest_user}\""
                    ));
                assert!(
                    !holds_user || allowed,
                    "username outside From/Authorization: {line}"
                );
            }
        }
        let authorization = lines_of(&requests[1])
            .into_iter()
            .filter(|l| l.starts_with("Proxy-Authorization:"))
            .count();
        assert_eq!(authorization, 1);
    }
}

#[tokio::test]
async fn outdated_stored_values_are_never_signalled() {
    // A URI an earlier version stored, which breaks today's rules: no
    // packet is sent and the detail asks for the connection to be recreated.
    let peer = peer::udp(Scenario::Answer(200, "OK")).await;
    let uri = format!("sip:{};x=<evil>", peer.addr);
    let conn = common::connection_stored(VoipProvider::Sip, &uri);
    let checks = verifier(Duration::from_secs(1))
        .verify(&conn, &creds(None, None), &number("+14155550123"))
        .await;
    let out = check(&checks, "outbound_trunking");
    assert!(
        !out.passed && out.detail.contains("create it again"),
        "{}",
        out.detail
    );
    assert!(!out.detail.contains("evil"), "{}", out.detail);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(peer.requests().is_empty());
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
        account_sid: TwilioAccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap(),
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
