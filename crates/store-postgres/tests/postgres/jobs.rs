//! Leases across stores: what the contract cannot show with one store.

use std::time::Duration;

use thunderphone_ports::ActivationQueue;
use thunderphone_store_contract::fixtures::{at, claim, tenant};
use thunderphone_store_postgres::{PgStore, PoolOptions};

use crate::support::{execute, fresh, text};

/// A worker whose lease expired cannot reschedule the job under the worker
/// (of another store, e.g. another server instance) that leased it since;
/// that worker can. A late worker whose lease nobody took over still can.
#[tokio::test]
async fn retry_at_only_applies_to_the_lease_it_was_given() {
    let (first, url) = fresh().await;
    let options = PoolOptions {
        max_size: 2,
        connection_timeout: Duration::from_secs(30),
        statement_timeout: Duration::from_secs(30),
    };
    let second = PgStore::connect(&url, options).unwrap();
    let acme = tenant(&*first, "acme").await;
    let number = claim(&*first, acme.org_id, "415", at(1)).await;

    let early = first.lease_due(at(2), at(12), 10).await.unwrap();
    assert_eq!(early.len(), 1);
    // The lease expires at 12 and the other store's worker takes the job.
    let taken = second.lease_due(at(12), at(22), 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    first
        .retry_at(&early[0], 1, at(13), "too late")
        .await
        .unwrap();
    assert!(
        first
            .lease_due(at(15), at(25), 10)
            .await
            .unwrap()
            .is_empty(),
        "still leased by the second worker"
    );
    second.retry_at(&taken[0], 1, at(30), "busy").await.unwrap();
    let error = text(&url, "SELECT last_error AS text FROM activation_jobs");
    assert_eq!(error.as_deref(), Some("busy"));
    assert_eq!(number.id(), taken[0].number_id);

    // Nobody takes over this lease: its worker, late, still records.
    let jobs = first.lease_due(at(30), at(40), 10).await.unwrap();
    assert_eq!(jobs[0].attempts, 1);
    first
        .retry_at(&jobs[0], 2, at(60), "late but alone")
        .await
        .unwrap();
    let jobs = second.lease_due(at(60), at(70), 10).await.unwrap();
    assert_eq!(jobs[0].attempts, 2);
    drop(second);
    drop(first);
}

/// A job whose row cannot be read (its number, written around the store,
/// is not E.164) is set aside with the reason instead of failing every
/// batch it is leased with; the other jobs of the batch are handed out.
#[tokio::test]
async fn an_unreadable_job_is_set_aside_not_failing_its_batch() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    // Due before the readable job, so both are leased in one batch. The
    // table's CHECK allows 2 digits; E.164 as the domain reads it, 3 to 15.
    execute(
        &url,
        &format!(
            "WITH bad AS (INSERT INTO phone_numbers (org_id, number, source, status, \
             voip_verification_status, version, created_at, updated_at) \
             VALUES ({}, '+12', 'demo', 'provisioning', 'unverified', 1, \
             '2000-01-01Z', '2000-01-01Z') RETURNING id) \
             INSERT INTO activation_jobs (phone_number_id, due_at) SELECT id, '2000-01-01Z' FROM bad",
            acme.org_id
        ),
    );

    let jobs = store.lease_due(at(2), at(12), 10).await.unwrap();
    let ids: Vec<_> = jobs.iter().map(|job| job.number_id).collect();
    assert_eq!(ids, [number.id()]);
    let reason = text(
        &url,
        "SELECT last_error AS text FROM activation_jobs \
         WHERE due_at = 'infinity' AND lease_until IS NULL",
    )
    .unwrap_or_default();
    assert!(
        reason.starts_with("job set aside, its row cannot be read"),
        "{reason}"
    );
    // Once the lease of the readable job ends, only it comes back.
    let again = store.lease_due(at(12), at(22), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].number_id, number.id());
}
