//! `App::run_activation`: one activation job run inline. Time is paused, so
//! per-attempt timeouts and backoff waits are virtual and their lengths can
//! be asserted exactly.
//!
//! The policy of these tests (`common::policy`): 3 attempts, 2 s each,
//! backoff 100 ms then 200 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use mockall::Sequence;
use thunderphone_app::AppError;
use thunderphone_domain::{ChangeKind, E164, Status};
use thunderphone_ports::{Inventory, NumberProvider, NumberQuery, ProviderError, RepoError};
use tokio::time::Instant;

const ID: i64 = 7;
const NUMBER: &str = "+14155550100";

/// The store holds the provisioning number for every read.
fn stored_number(m: &mut Mocks) {
    let number = provisioning_demo(ID, NUMBER);
    m.numbers
        .expect_find_number_unscoped()
        .withf(|id| *id == number_id(ID))
        .returning(move |_| Ok(Some(number.clone())));
}

/// A provider that never answers: every call hangs until it is cancelled.
#[derive(Default)]
struct HangingProvider {
    calls: AtomicU32,
}

#[async_trait]
impl NumberProvider for HangingProvider {
    fn inventory(&self) -> Inventory {
        Inventory::DemoPool
    }

    async fn search(&self, _: &NumberQuery, _: usize) -> Result<Vec<E164>, ProviderError> {
        std::future::pending().await
    }

    async fn activate(&self, _number: &E164) -> Result<(), ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }

    async fn release(&self, _number: &E164) -> Result<(), ProviderError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn provider_ok_records_activated_by_the_system() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    m.provider
        .expect_activate()
        .withf(|n| n.as_str() == NUMBER)
        .times(1)
        .returning(|_| Ok(()));
    let saves = m.record_saves();
    let app = m.app();

    app.run_activation(number_id(ID)).await.unwrap();

    let change = saves.only();
    assert_eq!(change.expected, version(1));
    assert_eq!(change.updated.change, ChangeKind::Activated);
    assert_eq!(change.updated.number.status(), Status::Active);
    assert_eq!(change.updated.number.version(), version(2));
    assert_eq!(change.updated.number.status_reason(), None);
    assert_eq!(change.updated.number.updated_at(), t0());
    assert_eq!(change.actor, None);
}

#[tokio::test(start_paused = true)]
async fn provider_rejection_fails_the_number_after_one_attempt() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    m.provider
        .expect_activate()
        .times(1)
        .returning(|_| Err(ProviderError::Rejected("number is barred".into())));
    let saves = m.record_saves();
    let app = m.app();
    let start = Instant::now();

    app.run_activation(number_id(ID)).await.unwrap();

    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "no backoff after a refusal"
    );
    let change = saves.only();
    assert_eq!(change.updated.change, ChangeKind::ProvisioningFailed);
    assert_eq!(change.updated.number.status(), Status::Failed);
    assert_eq!(change.actor, None);
    let reason = change.updated.number.status_reason().unwrap();
    assert!(reason.contains("number is barred"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn provider_always_unavailable_fails_after_max_attempts() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    m.provider
        .expect_activate()
        .times(3)
        .returning(|_| Err(ProviderError::Unavailable("HTTP 503".into())));
    let saves = m.record_saves();
    let app = m.app();
    let start = Instant::now();

    app.run_activation(number_id(ID)).await.unwrap();

    // Waits between attempts only: 100 ms, then 200 ms; none after the last.
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    let change = saves.only();
    assert_eq!(change.updated.number.status(), Status::Failed);
    assert_eq!(change.updated.change, ChangeKind::ProvisioningFailed);
    let reason = change.updated.number.status_reason().unwrap();
    assert!(reason.contains("after 3 attempts"), "{reason}");
    assert!(reason.contains("HTTP 503"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_is_retried_after_backoff() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    let mut seq = Sequence::new();
    m.provider
        .expect_activate()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(ProviderError::Unavailable("HTTP 429".into())));
    m.provider
        .expect_activate()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let saves = m.record_saves();
    let app = m.app();
    let start = Instant::now();

    app.run_activation(number_id(ID)).await.unwrap();

    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(saves.only().updated.number.status(), Status::Active);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_provider_times_out_on_every_attempt_and_the_number_fails() {
    let provider = Arc::new(HangingProvider::default());
    let mut m = Mocks::new().with_provider(provider.clone());
    stored_number(&mut m);
    let saves = m.record_saves();
    let app = m.app();
    let start = Instant::now();

    app.run_activation(number_id(ID)).await.unwrap();

    assert_eq!(provider.calls.load(Ordering::SeqCst), 3);
    // Three 2 s timeouts and the two backoff waits between them.
    assert_eq!(start.elapsed(), Duration::from_millis(3 * 2000 + 300));
    let change = saves.only();
    assert_eq!(change.updated.number.status(), Status::Failed);
    let reason = change.updated.number.status_reason().unwrap();
    assert!(reason.contains("after 3 attempts"), "{reason}");
    assert!(reason.contains("within 2000 ms"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn a_version_conflict_rereads_and_keeps_the_concurrent_change() {
    let mut m = Mocks::new();
    let v1 = provisioning_demo(ID, NUMBER);
    // A client assigned an agent while the provider was working.
    let v2 = with(&v1, |p| {
        p.inbound_agent_id = Some(agent_id(3));
        p.version = version(2);
    });
    let mut reads = Sequence::new();
    for stored in [v1.clone(), v1, v2] {
        m.numbers
            .expect_find_number_unscoped()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_| Ok(Some(stored.clone())));
    }
    m.provider.expect_activate().times(1).returning(|_| Ok(()));
    let saves = common::Saves::default();
    let sink = saves.clone();
    m.numbers
        .expect_save_change()
        .times(2)
        .returning(move |change| {
            let first = sink.all().is_empty();
            let saved = change.updated.number.clone();
            sink.push(change);
            if first {
                Err(RepoError::VersionConflict {
                    current: version(2),
                })
            } else {
                Ok(saved)
            }
        });
    let app = m.app();

    app.run_activation(number_id(ID)).await.unwrap();

    let all = saves.all();
    assert_eq!(all[0].expected, version(1));
    let retried = &all[1];
    assert_eq!(retried.expected, version(2));
    assert_eq!(retried.updated.number.version(), version(3));
    assert_eq!(retried.updated.number.status(), Status::Active);
    assert_eq!(retried.updated.number.inbound_agent_id(), Some(agent_id(3)));
}

#[tokio::test(start_paused = true)]
async fn a_number_deleted_while_the_provider_works_is_not_saved() {
    let mut m = Mocks::new();
    let mut reads = Sequence::new();
    let number = provisioning_demo(ID, NUMBER);
    m.numbers
        .expect_find_number_unscoped()
        .times(1)
        .in_sequence(&mut reads)
        .returning(move |_| Ok(Some(number.clone())));
    m.numbers
        .expect_find_number_unscoped()
        .times(1)
        .in_sequence(&mut reads)
        .returning(|_| Ok(None));
    m.provider.expect_activate().times(1).returning(|_| Ok(()));
    // save_change is not expected: calling it fails the test.
    let app = m.app();

    assert_eq!(app.run_activation(number_id(ID)).await, Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_number_deleted_before_the_job_starts_is_not_activated() {
    let mut m = Mocks::new();
    m.numbers
        .expect_find_number_unscoped()
        .times(1)
        .returning(|_| Ok(None));
    // Neither the provider nor save_change is expected.
    let app = m.app();

    assert_eq!(app.run_activation(number_id(ID)).await, Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_number_settled_meanwhile_is_left_alone() {
    let mut m = Mocks::new();
    let mut reads = Sequence::new();
    let provisioning = provisioning_demo(ID, NUMBER);
    let active = with(&provisioning, |p| {
        p.status = Status::Active;
        p.version = version(2);
    });
    m.numbers
        .expect_find_number_unscoped()
        .times(1)
        .in_sequence(&mut reads)
        .returning(move |_| Ok(Some(provisioning.clone())));
    m.numbers
        .expect_find_number_unscoped()
        .times(1)
        .in_sequence(&mut reads)
        .returning(move |_| Ok(Some(active.clone())));
    m.provider
        .expect_activate()
        .times(1)
        .returning(|_| Err(ProviderError::Rejected("too late".into())));
    let app = m.app();

    assert_eq!(app.run_activation(number_id(ID)).await, Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_delete_racing_the_save_is_not_an_error() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    m.provider.expect_activate().times(1).returning(|_| Ok(()));
    m.numbers
        .expect_save_change()
        .times(1)
        .returning(|_| Err(RepoError::NotFound));
    let app = m.app();

    assert_eq!(app.run_activation(number_id(ID)).await, Ok(()));
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_store_when_recording_is_reported() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    m.provider.expect_activate().times(1).returning(|_| Ok(()));
    m.numbers
        .expect_save_change()
        .times(1)
        .returning(|_| Err(RepoError::Unavailable("pool timed out".into())));
    let app = m.app();

    let result = app.run_activation(number_id(ID)).await;

    assert!(
        matches!(&result, Err(AppError::Unavailable(m)) if m.contains("pool timed out")),
        "{result:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn endless_conflicts_give_up_after_the_retry_budget() {
    let mut m = Mocks::new();
    stored_number(&mut m);
    m.provider.expect_activate().times(1).returning(|_| Ok(()));
    m.numbers
        .expect_save_change()
        .times(thunderphone_app::MAX_WRITE_RETRIES)
        .returning(|_| {
            Err(RepoError::VersionConflict {
                current: version(9),
            })
        });
    let app = m.app();

    let result = app.run_activation(number_id(ID)).await;

    assert!(
        matches!(&result, Err(AppError::Unexpected(_))),
        "{result:?}"
    );
}
