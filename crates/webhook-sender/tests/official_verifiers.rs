//! Interoperability: what the sender puts on the wire verifies with the
//! official Standard Webhooks libraries (Python's and Node's
//! `standardwebhooks`), run by `tools/webhooks/official-verify`, which
//! installs them from PyPI and npm on first use. Without them this test
//! fails: it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::{Answer, Receiver, loopback_allowed, request};
use thunderphone_ports::{SendOutcome, SigningKey, WebhookSender};
use thunderphone_webhook_sender::HttpWebhookSender;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/webhooks/official-verify")
}

/// How an integrator is given the key: `whsec_` and its base64.
fn secret(key: &SigningKey) -> String {
    format!("whsec_{}", STANDARD.encode(&key.0))
}

struct Verdict {
    accepted: bool,
    output: String,
}

async fn official_verify(key: &SigningKey, headers: [&str; 3], body: &[u8]) -> Verdict {
    let mut child = Command::new(script())
        .args(headers)
        .env("WEBHOOK_SECRET", secret(key))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tools/webhooks/official-verify could not be started");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(body).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Verdict {
            accepted: true,
            output,
        },
        Some(1) => Verdict {
            accepted: false,
            output,
        },
        _ => panic!(
            "the official Standard Webhooks verifiers are not available (they are \
             installed from PyPI and npm by tools/webhooks/official-verify on first \
             use; that needs python3 with venv, Node with npm, and both registries):\n{output}"
        ),
    }
}

#[tokio::test]
async fn both_official_libraries_verify_every_signature_of_a_real_attempt() {
    let receiver = Receiver::start(Answer::status(200)).await;
    let sender = HttpWebhookSender::new(loopback_allowed(), Duration::from_secs(5)).unwrap();
    // During a rotation both secrets sign: the new one first.
    let new = SigningKey(
        (0u8..32)
            .map(|b| b.wrapping_mul(37).wrapping_add(11))
            .collect(),
    );
    let old = SigningKey((0u8..32).map(|b| 255 - b.wrapping_mul(13)).collect());
    let outcome = sender
        .send(request(
            &receiver.url("/hook"),
            vec![new.clone(), old.clone()],
        ))
        .await;
    assert!(
        matches!(outcome, SendOutcome::Answered { status: 200, .. }),
        "{outcome:?}"
    );

    let got = receiver.received().pop().unwrap();
    let headers = [
        got.header("webhook-id").unwrap(),
        got.header("webhook-timestamp").unwrap(),
        got.header("webhook-signature").unwrap(),
    ];
    for (name, key) in [("new", &new), ("old", &old)] {
        let verdict = official_verify(key, headers, &got.body).await;
        assert!(verdict.accepted, "the {name} secret: {}", verdict.output);
        assert!(verdict.output.contains("python standardwebhooks: verified"));
        assert!(verdict.output.contains("node standardwebhooks: verified"));
    }

    // A body changed on the way, or a secret that did not sign: refused
    // by both libraries.
    let mut tampered = got.body.clone();
    let at = tampered.iter().position(|&b| b == b'1').unwrap();
    tampered[at] = b'2';
    let stranger = SigningKey(vec![42; 32]);
    for (what, key, body) in [
        ("a tampered body", &new, &tampered),
        ("a secret that did not sign", &stranger, &got.body),
    ] {
        let verdict = official_verify(key, headers, body).await;
        assert!(!verdict.accepted, "{what} was accepted: {}", verdict.output);
        assert!(
            verdict.output.contains("python standardwebhooks: refused")
                && verdict.output.contains("node standardwebhooks: refused"),
            "{what}: {}",
            verdict.output
        );
    }
}
