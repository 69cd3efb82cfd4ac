//! `App::run_activation_worker`: leases due jobs from the queue, one
//! attempt per lease, then settles the number or schedules a retry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;

use thunderphone_domain::{ChangeKind, Role, Status};
use thunderphone_ports::{ActivationJob, ProviderError};

fn job(id: i64, number: &str, attempts: u32) -> ActivationJob {
    ActivationJob {
        number_id: number_id(id),
        number: e164(number),
        attempts,
        lease_until: t0(),
    }
}

/// The queue hands out `jobs` on the first lease, nothing afterwards.
fn queue_once(m: &mut Mocks, jobs: Vec<ActivationJob>) -> Arc<AtomicUsize> {
    let leases = Arc::new(AtomicUsize::new(0));
    let counter = leases.clone();
    m.jobs.expect_lease_due().returning(move |_, _, _| {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        Ok(if first { jobs.clone() } else { Vec::new() })
    });
    leases
}

/// Runs the worker until `done` says so (or 5 s of virtual time pass).
async fn run_until(app: &thunderphone_app::App, done: impl Fn() -> bool) {
    let stop = async {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the worker did not finish in time");
    };
    app.run_activation_worker(stop).await;
}

#[tokio::test(start_paused = true)]
async fn leased_jobs_are_activated() {
    let mut m = Mocks::new();
    queue_once(
        &mut m,
        vec![job(1, "+14155550101", 0), job(2, "+14155550102", 0)],
    );
    // One read per job: the number read to check it is still pending is
    // the one the outcome is computed from.
    m.numbers
        .expect_find_number_unscoped()
        .times(2)
        .returning(|id| {
            Ok(Some(provisioning_demo(
                id.get(),
                &format!("+1415555010{}", id.get()),
            )))
        });
    m.provider.expect_activate().times(2).returning(|_| Ok(()));
    let saves = m.record_saves();
    let app = m.app();

    run_until(&app, || saves.all().len() == 2).await;

    let mut ids: Vec<i64> = saves
        .all()
        .iter()
        .map(|c| c.updated.number.id().get())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![1, 2]);
    assert!(
        saves
            .all()
            .iter()
            .all(|c| c.updated.change == ChangeKind::Activated && c.actor.is_none())
    );
}

/// A client change landing between the read and the save (an agent
/// assigned while provisioning) is read again and kept: the activation is
/// saved on the new version.
#[tokio::test(start_paused = true)]
async fn a_change_racing_the_activation_is_read_again() {
    let mut m = Mocks::new();
    queue_once(&mut m, vec![job(7, "+14155550100", 0)]);
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    m.numbers.expect_find_number_unscoped().returning(move |_| {
        let first = provisioning_demo(7, "+14155550100");
        Ok(Some(if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            first
        } else {
            with(&first, |parts| {
                parts.version = version(2);
                parts.inbound_agent_id = Some(agent_id(3));
            })
        }))
    });
    m.provider.expect_activate().times(1).returning(|_| Ok(()));
    let saved = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = saved.clone();
    m.numbers.expect_save_change().returning(move |change| {
        if change.expected == version(1) {
            return Err(thunderphone_ports::RepoError::VersionConflict {
                current: version(2),
            });
        }
        sink.lock().unwrap().push(change.clone());
        Ok(change.updated.number)
    });
    let app = m.app();

    run_until(&app, || !saved.lock().unwrap().is_empty()).await;

    assert_eq!(reads.load(Ordering::SeqCst), 2);
    let change = saved.lock().unwrap()[0].clone();
    assert_eq!(change.expected, version(2));
    assert_eq!(change.updated.change, ChangeKind::Activated);
    assert_eq!(change.updated.number.inbound_agent_id(), Some(agent_id(3)));
    assert_eq!(change.updated.number.status(), Status::Active);
}

#[tokio::test(start_paused = true)]
async fn a_failed_attempt_is_rescheduled_with_backoff() {
    let mut m = Mocks::new();
    let leased = job(7, "+14155550100", 0);
    queue_once(&mut m, vec![leased.clone()]);
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(Some(provisioning_demo(7, "+14155550100"))));
    m.provider
        .expect_activate()
        .times(1)
        .returning(|_| Err(ProviderError::Unavailable("carrier returned 503".into())));
    let retried = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = retried.clone();
    m.jobs
        .expect_retry_at()
        .times(1)
        .returning(move |job, attempts, due, error| {
            sink.lock()
                .unwrap()
                .push((job.clone(), attempts, due, error.to_owned()));
            Ok(())
        });
    let app = m.app();

    run_until(&app, || !retried.lock().unwrap().is_empty()).await;

    let (retried_job, attempts, due, error) = retried.lock().unwrap()[0].clone();
    // The job as leased, lease included: the store matches its lease.
    assert_eq!((retried_job, attempts), (leased, 1));
    assert_eq!(
        due,
        t0() + chrono::Duration::milliseconds(100),
        "first backoff of the policy"
    );
    assert!(error.contains("503"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn the_last_attempt_marks_the_number_failed() {
    let mut m = Mocks::new();
    queue_once(&mut m, vec![job(7, "+14155550100", 2)]);
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(Some(provisioning_demo(7, "+14155550100"))));
    m.provider
        .expect_activate()
        .times(1)
        .returning(|_| Err(ProviderError::Unavailable("carrier returned 503".into())));
    let saves = m.record_saves();
    let app = m.app();

    run_until(&app, || !saves.all().is_empty()).await;

    let change = saves.only();
    assert_eq!(change.updated.change, ChangeKind::ProvisioningFailed);
    let reason = change.updated.number.status_reason().unwrap().to_owned();
    assert!(
        reason.contains("after 3 attempts") && reason.contains("503"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn settled_numbers_are_not_sent_to_the_provider() {
    let mut m = Mocks::new();
    let leases = queue_once(&mut m, vec![job(7, "+14155550100", 0)]);
    m.numbers
        .expect_find_number_unscoped()
        .returning(|_| Ok(Some(demo_number(7, Status::Active, 2))));
    // No provider or save expectation: either call would fail the test.
    let app = m.app();

    run_until(&app, || leases.load(Ordering::SeqCst) >= 3).await;
}

#[tokio::test(start_paused = true)]
async fn provisioning_wakes_the_worker_at_once() {
    let mut m = Mocks::new();
    let number = provisioning_demo(7, "+14155550100");
    let claimed = number.clone();
    m.numbers
        .expect_claim_pool_number()
        .times(1)
        .returning(move |_, _, _, _| Ok(Some(claimed.clone())));
    let leases = Arc::new(AtomicUsize::new(0));
    let counter = leases.clone();
    m.jobs.expect_lease_due().returning(move |_, _, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Vec::new())
    });
    let app = m.app();
    let worker_app = app.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(async move {
        worker_app
            .run_activation_worker(async {
                stopped.await.ok();
            })
            .await;
    });
    tokio::task::yield_now().await;
    let before = leases.load(Ordering::SeqCst);
    app.provision(&principal(Role::Member), Default::default())
        .await
        .unwrap();
    // Well within the 50 ms poll interval: only the wake-up explains a lease.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        leases.load(Ordering::SeqCst) > before,
        "the worker leased right after provisioning"
    );
    stop.send(()).unwrap();
    worker.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_store_outage_while_leasing_does_not_stop_the_worker() {
    let mut m = Mocks::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    m.jobs.expect_lease_due().returning(move |_, _, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        Err(thunderphone_ports::RepoError::Unavailable(
            "connection refused".into(),
        ))
    });
    let app = m.app();
    run_until(&app, || calls.load(Ordering::SeqCst) >= 3).await;
}
