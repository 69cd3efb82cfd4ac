//! One attempt against loopback receivers: answers, redirects, silence,
//! floods, refusals, and the Standard Webhooks headers.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::{Answer, BODY, FakeGate, Receiver, default_gate, key, loopback_allowed, request};
use thunderphone_ports::{OutboundGate, SendOutcome, WebhookSender};
use thunderphone_webhook_sender::{HttpWebhookSender, USER_AGENT, signature};

const REFUSED: &str = "resolves to a private address, which this server does not call";

fn sender(gate: Arc<dyn OutboundGate>, timeout: Duration) -> HttpWebhookSender {
    HttpWebhookSender::new(gate, timeout).unwrap()
}

fn not_answered(outcome: SendOutcome) -> String {
    match outcome {
        SendOutcome::NotAnswered { error } => error,
        other => panic!("expected no answer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_2xx_is_an_answer_with_its_body() {
    let receiver = Receiver::start(Answer::status(202)).await;
    let sender = sender(loopback_allowed(), Duration::from_secs(5));
    let outcome = sender
        .send(request(&receiver.url("/hook"), vec![key(1)]))
        .await;
    assert_eq!(
        outcome,
        SendOutcome::Answered {
            status: 202,
            body_excerpt: r#"{"status":202}"#.to_owned()
        }
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_500_is_an_answer_too() {
    let receiver = Receiver::start(Answer::With {
        status: 500,
        headers: String::new(),
        body: "database down".to_owned(),
    })
    .await;
    let outcome = sender(loopback_allowed(), Duration::from_secs(5))
        .send(request(&receiver.url("/"), vec![key(1)]))
        .await;
    assert_eq!(
        outcome,
        SendOutcome::Answered {
            status: 500,
            body_excerpt: "database down".to_owned()
        }
    );
}

#[tokio::test]
async fn headers_carry_the_id_the_timestamp_and_a_verifiable_signature() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let sender = sender(loopback_allowed(), Duration::from_secs(5));
    let keys = vec![key(1), key(2)];
    let sent = request(&receiver.url("/hooks/tp?x=1"), keys.clone());
    sender.send(sent.clone()).await;

    let got = receiver.received().pop().unwrap();
    assert_eq!(got.request_line, "POST /hooks/tp?x=1 HTTP/1.1");
    assert_eq!(got.body, BODY.as_bytes(), "the body byte for byte");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("ThunderPhone-Webhooks/"));
    assert_eq!(
        got.header("webhook-id"),
        Some("evt_01JDXAAAAAAAAAAAAAAAAAAAAA")
    );
    let timestamp = got.header("webhook-timestamp").unwrap();
    assert_eq!(timestamp, sent.timestamp.to_string());
    // One v1 signature per key, in order, each over what arrived.
    let signatures: Vec<&str> = got
        .header("webhook-signature")
        .unwrap()
        .split(' ')
        .collect();
    assert_eq!(signatures.len(), 2);
    for (sig, key) in signatures.iter().zip(&keys) {
        assert_eq!(
            *sig,
            signature::sign(
                key,
                "evt_01JDXAAAAAAAAAAAAAAAAAAAAA",
                sent.timestamp,
                &got.body
            )
        );
    }
    assert_ne!(signatures[0], signatures[1]);
    assert!(got.header("referer").is_none());
}

#[tokio::test]
async fn a_redirect_is_an_answer_and_is_not_followed() {
    let target = Receiver::start(Answer::status(200)).await;
    let redirect = Receiver::start(Answer::With {
        status: 302,
        headers: format!("location: {}\r\n", target.url("/elsewhere")),
        body: String::new(),
    })
    .await;
    let outcome = sender(loopback_allowed(), Duration::from_secs(5))
        .send(request(&redirect.url("/"), vec![key(1)]))
        .await;
    assert_eq!(
        outcome,
        SendOutcome::Answered {
            status: 302,
            body_excerpt: String::new()
        }
    );
    assert_eq!(target.connections_after_a_moment().await, 0);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_within_the_bound() {
    let receiver = Receiver::start(Answer::Silent).await;
    let sender = sender(loopback_allowed(), Duration::from_millis(500));
    let started = Instant::now();
    let error = not_answered(sender.send(request(&receiver.url("/"), vec![key(1)])).await);
    let took = started.elapsed();
    assert_eq!(error, "timed out after 0.5 s");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert_eq!(receiver.received().len(), 1, "the request itself was sent");
}

#[tokio::test]
async fn a_lookup_that_never_ends_is_bounded_too() {
    let sender = sender(FakeGate::new(true), Duration::from_millis(300));
    let started = Instant::now();
    let error = not_answered(
        sender
            .send(request("https://stall.test/", vec![key(1)]))
            .await,
    );
    assert_eq!(error, "timed out after 0.3 s");
    assert!(started.elapsed() < Duration::from_millis(1300));
}

/// The status arrived in time: the attempt was answered, and the excerpt
/// holds what came of the body before the bound.
#[tokio::test]
async fn a_body_that_stalls_keeps_the_status_and_what_came() {
    let receiver = Receiver::start(Answer::Stalled).await;
    let sender = sender(loopback_allowed(), Duration::from_millis(500));
    let started = Instant::now();
    let outcome = sender.send(request(&receiver.url("/"), vec![key(1)])).await;
    assert_eq!(
        outcome,
        SendOutcome::Answered {
            status: 200,
            body_excerpt: "0123456789".to_owned()
        }
    );
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[tokio::test]
async fn a_huge_answer_is_cut_to_one_kibibyte_and_ends_quickly() {
    let receiver = Receiver::start(Answer::Endless).await;
    let sender = sender(loopback_allowed(), Duration::from_secs(5));
    let started = Instant::now();
    let outcome = sender.send(request(&receiver.url("/"), vec![key(1)])).await;
    let took = started.elapsed();
    let SendOutcome::Answered {
        status,
        body_excerpt,
    } = outcome
    else {
        panic!("expected an answer, got {outcome:?}");
    };
    assert_eq!(status, 200);
    assert_eq!(body_excerpt.len(), 1024);
    assert!(body_excerpt.bytes().all(|b| b == b'x'));
    assert!(
        took < Duration::from_secs(2),
        "stopped reading early: {took:?}"
    );
}

#[tokio::test]
async fn a_refused_destination_gets_no_connection() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let sender = sender(default_gate(), Duration::from_secs(5));
    for url in [
        format!("https://127.0.0.1:{}/", receiver.port()),
        format!("http://127.0.0.1:{}/", receiver.port()),
        format!("https://localhost:{}/", receiver.port()),
        format!("https://[::ffff:127.0.0.1]:{}/", receiver.port()),
        format!("https://2130706433:{}/", receiver.port()),
    ] {
        let error = not_answered(sender.send(request(&url, vec![key(1)])).await);
        assert!(error.ends_with(REFUSED), "{url}: {error}");
    }
    assert_eq!(receiver.connections_after_a_moment().await, 0);
}

#[tokio::test]
async fn a_name_is_reached_only_at_the_address_the_gate_gave() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let gate = FakeGate::new(true);
    let sender = sender(gate.clone(), Duration::from_secs(5));
    let url = format!("http://receiver.test:{}/hook", receiver.port());
    let outcome = sender.send(request(&url, vec![key(1)])).await;
    assert!(
        matches!(outcome, SendOutcome::Answered { status: 200, .. }),
        "{outcome:?}"
    );
    assert_eq!(gate.lookups.load(Ordering::SeqCst), 1);
    let got = receiver.received().pop().unwrap();
    assert_eq!(
        got.header("host"),
        Some(format!("receiver.test:{}", receiver.port()).as_str())
    );
    // A name the gate has no address for is never looked up elsewhere.
    let error = not_answered(
        sender
            .send(request("https://nowhere.invalid/", vec![key(1)]))
            .await,
    );
    assert_eq!(error, "nowhere.invalid has no address");
}

#[tokio::test]
async fn plain_http_is_refused_unless_every_address_is_explicitly_allowed() {
    let receiver = Receiver::start(Answer::status(200)).await;
    // 127.0.0.1 stands in for a public receiver: callable, not allowed.
    let sender = sender(FakeGate::new(false), Duration::from_secs(5));
    for (url, host) in [
        (
            format!("http://127.0.0.1:{}/", receiver.port()),
            "127.0.0.1",
        ),
        (
            format!("http://receiver.test:{}/", receiver.port()),
            "receiver.test",
        ),
    ] {
        let error = not_answered(sender.send(request(&url, vec![key(1)])).await);
        assert_eq!(
            error,
            format!("{host} is not a destination this server calls over http://; use https://")
        );
    }
    assert_eq!(receiver.connections_after_a_moment().await, 0);
}

#[tokio::test]
async fn tls_and_connection_failures_are_named_without_addresses() {
    let garbage = Receiver::start(Answer::Garbage).await;
    let sender = sender(FakeGate::new(false), Duration::from_secs(5));
    let url = format!("https://receiver.test:{}/", garbage.port());
    let error = not_answered(sender.send(request(&url, vec![key(1)])).await);
    assert_eq!(error, "TLS handshake failed");
    assert_eq!(garbage.connections(), 1);

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("https://receiver.test:{closed}/");
    let error = not_answered(sender.send(request(&url, vec![key(1)])).await);
    assert_eq!(error, "connection refused");
}

/// A TLS receiver whose certificate nobody vouches for (self-signed for
/// `receiver.test`).
async fn self_signed_receiver() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio_rustls::rustls::{ServerConfig, pki_types::PrivateKeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["receiver.test".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = Arc::clone(&handshakes);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = acceptor.accept(stream).await;
        }
    });
    (port, handshakes)
}

#[tokio::test]
async fn an_untrusted_certificate_is_named_as_such() {
    let (port, handshakes) = self_signed_receiver().await;
    let sender = sender(FakeGate::new(false), Duration::from_secs(5));
    let url = format!("https://receiver.test:{port}/");
    let error = not_answered(sender.send(request(&url, vec![key(1)])).await);
    assert_eq!(
        error,
        "TLS handshake failed: the receiver's certificate was not accepted"
    );
    assert_eq!(handshakes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_no_answer() {
    let garbage = Receiver::start(Answer::Garbage).await;
    let sender = sender(loopback_allowed(), Duration::from_secs(5));
    let error = not_answered(sender.send(request(&garbage.url("/"), vec![key(1)])).await);
    assert_eq!(error, "the connection closed without a valid HTTP answer");
}
