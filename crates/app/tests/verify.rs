//! `App::verify_number`: which numbers can be verified, how the verifier's
//! checks become the recorded outcome, and the bound on a slow verifier.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use thunderphone_app::AppError;
use thunderphone_domain::{
    ChangeKind, E164, PhoneNumber, Role, Status, VerificationStatus, VoipConnection,
    VoipCredentials,
};
use thunderphone_ports::{CheckOutcome, VoipVerifier};
use tokio::time::Instant;

const ID: i64 = 7;
const CONN: i64 = 5;

fn stored(m: &mut Mocks, number: PhoneNumber) {
    m.numbers
        .expect_find_number()
        .withf(|o, id| *o == org(ORG) && *id == number_id(ID))
        .returning(move |_, _| Ok(Some(number.clone())));
}

fn connection_with_credentials(m: &mut Mocks) {
    m.connections
        .expect_find_connection_credentials()
        .withf(|o, c| *o == org(ORG) && *c == connection_id(CONN))
        .times(1)
        .returning(|_, _| {
            Ok(Some((
                twilio_connection(CONN, ORG),
                sealed_twilio_credentials(),
            )))
        });
}

/// A VoIP number waiting for its first verification.
fn unverified() -> PhoneNumber {
    voip_number(ID, CONN, Status::Provisioning, 1)
}

fn verifier_returns(m: &mut Mocks, checks: Vec<CheckOutcome>) {
    m.verifier
        .expect_verify()
        .withf(|conn, creds, number| {
            conn.id == connection_id(CONN)
                && *creds == twilio_credentials()
                && number.as_str() == "+12125552123"
        })
        .times(1)
        .returning(move |_, _, _| checks.clone());
}

/// A verifier that never finishes.
#[derive(Default)]
struct HangingVerifier {
    calls: AtomicU32,
}

#[async_trait]
impl VoipVerifier for HangingVerifier {
    async fn verify(
        &self,
        _connection: &VoipConnection,
        _credentials: &VoipCredentials,
        _number: &E164,
    ) -> Vec<CheckOutcome> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_demo_number_is_not_verifiable() {
    let mut m = Mocks::new();
    stored(&mut m, demo_number(ID, Status::Active, 2));
    // No connection lookup, no verifier run, no save.
    let app = m.app();

    let result = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await;

    let Err(AppError::NotVerifiable(message)) = &result else {
        panic!("expected NotVerifiable, got {result:?}");
    };
    assert!(message.contains("demo"), "{message}");
}

#[tokio::test]
async fn a_voip_number_without_a_connection_is_not_verifiable() {
    let mut m = Mocks::new();
    stored(&mut m, with(&unverified(), |p| p.voip_connection_id = None));
    let app = m.app();

    let result = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await;

    assert!(
        matches!(result, Err(AppError::NotVerifiable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_released_number_cannot_be_verified() {
    let mut m = Mocks::new();
    stored(&mut m, voip_number(ID, CONN, Status::Released, 3));
    let app = m.app();

    let result = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await;

    assert!(
        matches!(result, Err(AppError::InvalidStatusTransition(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_deleted_connection_is_not_verifiable() {
    let mut m = Mocks::new();
    stored(&mut m, unverified());
    m.connections
        .expect_find_connection_credentials()
        .times(1)
        .returning(|_, _| Ok(None));
    let app = m.app();

    let result = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await;

    assert!(
        matches!(result, Err(AppError::NotVerifiable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn passing_checks_make_the_number_active_and_verified() {
    let mut m = Mocks::new();
    stored(&mut m, unverified());
    connection_with_credentials(&mut m);
    verifier_returns(
        &mut m,
        vec![
            CheckOutcome::passed("credentials", "account AC0123456789 is active"),
            CheckOutcome::passed("number_in_account", "found"),
        ],
    );
    let saves = m.record_saves();
    let app = m.app();
    let caller = principal(Role::Member);

    let verified = app.verify_number(&caller, number_id(ID)).await.unwrap();

    assert!(verified.verification.passed);
    assert_eq!(verified.verification.checks.len(), 2);
    assert_eq!(verified.verification.checked_at, t0());
    assert_eq!(verified.number.status(), Status::Active);
    assert_eq!(
        verified.number.voip_verification_status(),
        VerificationStatus::Verified
    );
    let change = saves.only();
    assert_eq!(change.updated.change, ChangeKind::Verified);
    assert_eq!(change.updated.number.voip_last_verified_at(), Some(t0()));
    assert_eq!(change.updated.number.status_reason(), None);
    assert_eq!(change.actor, Some(caller.actor()));
}

#[tokio::test]
async fn a_failing_check_is_recorded_with_its_detail() {
    let mut m = Mocks::new();
    stored(&mut m, unverified());
    connection_with_credentials(&mut m);
    verifier_returns(
        &mut m,
        vec![
            CheckOutcome::passed("credentials", "account AC0123456789 is active"),
            CheckOutcome::failed(
                "inbound_routing",
                "the number's voice URL does not point at ThunderPhone",
            ),
        ],
    );
    let saves = m.record_saves();
    let app = m.app();

    let verified = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await
        .unwrap();

    assert!(!verified.verification.passed);
    assert_eq!(verified.number.status(), Status::Provisioning);
    assert_eq!(
        verified.number.voip_verification_status(),
        VerificationStatus::Failed
    );
    let change = saves.only();
    assert_eq!(change.updated.change, ChangeKind::VerificationFailed);
    let reason = change.updated.number.status_reason().unwrap();
    assert!(
        reason.contains("inbound_routing: the number's voice URL does not point at ThunderPhone"),
        "{reason}"
    );
    assert!(
        !reason.contains("credentials"),
        "passed checks are not reasons: {reason}"
    );
}

#[tokio::test]
async fn a_verifier_that_runs_no_checks_fails() {
    let mut m = Mocks::new();
    stored(&mut m, unverified());
    connection_with_credentials(&mut m);
    verifier_returns(&mut m, Vec::new());
    let saves = m.record_saves();
    let app = m.app();

    let verified = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await
        .unwrap();

    assert!(!verified.verification.passed);
    assert_eq!(
        saves.only().updated.number.voip_verification_status(),
        VerificationStatus::Failed
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_verifier_is_bounded_by_the_verification_timeout() {
    let verifier = Arc::new(HangingVerifier::default());
    let mut m = Mocks::new().with_verifier(verifier.clone());
    m.settings.verification_timeout = Duration::from_secs(3);
    stored(&mut m, unverified());
    connection_with_credentials(&mut m);
    let saves = m.record_saves();
    let app = m.app();
    let start = Instant::now();

    let verified = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await
        .unwrap();

    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(verifier.calls.load(Ordering::SeqCst), 1);
    assert!(!verified.verification.passed);
    let [check] = verified.verification.checks.as_slice() else {
        panic!("one synthetic check: {:?}", verified.verification.checks);
    };
    assert!(!check.passed);
    assert!(check.detail.contains("within 3 s"), "{}", check.detail);
    let change = saves.only();
    assert_eq!(change.updated.change, ChangeKind::VerificationFailed);
    let reason = change.updated.number.status_reason().unwrap();
    assert!(reason.contains("within 3 s"), "{reason}");
}

#[tokio::test]
async fn credentials_stored_before_todays_rules_fail_the_check_without_being_used() {
    let mut m = Mocks::new();
    stored(&mut m, unverified());
    // An earlier version stored a SIP username with a line break in it.
    m.connections
        .expect_find_connection_credentials()
        .times(1)
        .returning(|_, _| {
            Ok(Some((
                twilio_connection(CONN, ORG),
                thunderphone_ports::SealedCredentials {
                    key_id: thunderphone_vault::LEGACY_PLAINTEXT.into(),
                    ciphertext: br#"{"provider":"sip","username":"alice\r\nQUIT","password":"p"}"#
                        .to_vec(),
                },
            )))
        });
    // No verifier expectation: nothing is sent anywhere.
    let saves = m.record_saves();
    let app = m.app();

    let verified = app
        .verify_number(&principal(Role::Member), number_id(ID))
        .await
        .unwrap();

    assert!(!verified.verification.passed);
    let [check] = verified.verification.checks.as_slice() else {
        panic!("one check: {:?}", verified.verification.checks);
    };
    assert_eq!(check.name, "credentials");
    assert!(
        check.detail.contains("credentials.username") && check.detail.contains("create it again"),
        "{}",
        check.detail
    );
    assert!(!check.detail.contains("alice"), "{}", check.detail);
    assert_eq!(saves.only().updated.change, ChangeKind::VerificationFailed);
}
