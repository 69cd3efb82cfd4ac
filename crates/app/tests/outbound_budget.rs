//! The instance's outbound budget: a verification beyond it is refused at
//! once, and a verification that runs out of time gives its permit back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use thunderphone_app::AppError;
use thunderphone_domain::{E164, Role, Status, VoipConnection, VoipCredentials};
use thunderphone_ports::{CheckOutcome, VoipVerifier};
use tokio::sync::Notify;

const ID: i64 = 7;
const CONN: i64 = 5;

/// A verifier that says when it started and never finishes.
#[derive(Default)]
struct StuckVerifier {
    calls: AtomicU32,
    started: Notify,
}

#[async_trait]
impl VoipVerifier for StuckVerifier {
    async fn verify(&self, _: &VoipConnection, _: &VoipCredentials, _: &E164) -> Vec<CheckOutcome> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.started.notify_one();
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_verification_beyond_the_budget_is_busy_and_permits_come_back() {
    let verifier = Arc::new(StuckVerifier::default());
    let mut m = Mocks::new().with_verifier(verifier.clone());
    m.settings.verification_timeout = Duration::from_secs(3);
    m.settings.outbound_concurrency = 1;
    m.numbers
        .expect_find_number()
        .returning(|_, _| Ok(Some(voip_number(ID, CONN, Status::Provisioning, 1))));
    m.connections
        .expect_find_connection_credentials()
        .returning(|_, _| {
            Ok(Some((
                twilio_connection(CONN, ORG),
                sealed_twilio_credentials(),
            )))
        });
    let saves = m.record_saves();
    let app = m.app();
    let caller = principal(Role::Member);

    let first = tokio::spawn({
        let app = app.clone();
        async move { app.verify_number(&caller, number_id(ID)).await }
    });
    verifier.started.notified().await;
    assert_eq!(app.outbound().in_flight(), 1);

    let refused = app.verify_number(&caller, number_id(ID)).await;
    let Err(AppError::Busy(message)) = refused else {
        panic!("expected Busy, got {refused:?}");
    };
    assert!(message.contains("retry"), "{message}");
    assert_eq!(verifier.calls.load(Ordering::SeqCst), 1, "no second run");
    assert!(
        saves.all().is_empty(),
        "nothing recorded for the refused one"
    );

    let timed_out = first.await.unwrap().unwrap();
    assert!(!timed_out.verification.passed);
    assert_eq!(
        app.outbound().in_flight(),
        0,
        "the timed-out run gave its permit back"
    );

    let again = app.verify_number(&caller, number_id(ID)).await.unwrap();
    assert!(!again.verification.passed);
    assert_eq!(verifier.calls.load(Ordering::SeqCst), 2);
}
