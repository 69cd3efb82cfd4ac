//! The Rust verification example of `docs/WEBHOOKS.md` is this code, and
//! it accepts what the sender sends.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "example/verify.rs"]
mod example;
mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::{Answer, Receiver, loopback_allowed, request};
use thunderphone_ports::{SigningKey, WebhookSender};
use thunderphone_webhook_sender::HttpWebhookSender;

/// The first ```rust block of the integrators' guide.
fn rust_block_of_the_guide() -> String {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/WEBHOOKS.md"
    ))
    .unwrap();
    let start = guide.find("```rust\n").expect("a ```rust block") + "```rust\n".len();
    let len = guide[start..].find("```").unwrap();
    guide[start..start + len].to_owned()
}

#[test]
fn the_guide_shows_this_code() {
    let file = include_str!("example/verify.rs");
    assert_eq!(
        rust_block_of_the_guide(),
        file,
        "docs/WEBHOOKS.md's Rust example and tests/example/verify.rs differ"
    );
}

fn whsec(key: &SigningKey) -> String {
    format!("whsec_{}", STANDARD.encode(&key.0))
}

#[tokio::test]
async fn the_example_verifies_a_real_attempt_and_refuses_forgeries() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let sender = HttpWebhookSender::new(loopback_allowed(), Duration::from_secs(5)).unwrap();
    let (new, old) = (SigningKey(vec![3; 32]), SigningKey(vec![4; 32]));
    sender
        .send(request(&receiver.url("/"), vec![new.clone(), old.clone()]))
        .await;
    let got = receiver.received().pop().unwrap();
    let (id, ts, sigs) = (
        got.header("webhook-id").unwrap(),
        got.header("webhook-timestamp").unwrap(),
        got.header("webhook-signature").unwrap(),
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    assert!(example::verify(&whsec(&new), id, ts, sigs, &got.body, now));
    assert!(example::verify(&whsec(&old), id, ts, sigs, &got.body, now));

    let stranger = SigningKey(vec![5; 32]);
    assert!(!example::verify(
        &whsec(&stranger),
        id,
        ts,
        sigs,
        &got.body,
        now
    ));
    let mut tampered = got.body.clone();
    tampered.push(b' ');
    assert!(!example::verify(&whsec(&new), id, ts, sigs, &tampered, now));
    assert!(!example::verify(
        &whsec(&new),
        "evt_other",
        ts,
        sigs,
        &got.body,
        now
    ));
    // Replayed six minutes later.
    assert!(!example::verify(
        &whsec(&new),
        id,
        ts,
        sigs,
        &got.body,
        now + 360
    ));
}
