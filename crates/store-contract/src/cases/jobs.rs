//! The activation queue: jobs start with pool claims, end when the number
//! is settled or deleted, and leases are exclusive until they expire.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::join_all;
use thunderphone_domain::PhoneNumberId;

use crate::TestStore;
use crate::fixtures::{activate, at, claim, connection, import, pool, tenant};

async fn leased<S: TestStore>(
    store: &S,
    now: i64,
    until: i64,
    limit: usize,
) -> Vec<(PhoneNumberId, u32)> {
    store
        .lease_due(at(now), at(until), limit)
        .await
        .expect("lease_due")
        .into_iter()
        .map(|job| (job.number_id, job.attempts))
        .collect()
}

/// Claimed pool numbers are due at once; settled, deleted and VoIP numbers
/// have no job.
pub async fn jobs_start_with_claims_and_end_when_settled<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(1)).await;
    import(&*store, acme.org_id, trunk.id, &[pool("212", 1)], at(1)).await;
    let pending = claim(&*store, acme.org_id, "415", at(1)).await;
    let settled = claim(&*store, acme.org_id, "415", at(2)).await;
    activate(&*store, &settled, at(3)).await;
    let failed = claim(&*store, acme.org_id, "415", at(3)).await;
    let update = failed.fail_provisioning("carrier said no", at(4)).unwrap();
    crate::fixtures::save(&*store, &failed, update, None).await;
    let deleted = claim(&*store, acme.org_id, "415", at(4)).await;
    store
        .delete_number(acme.org_id, deleted.id(), None, at(9_000), None)
        .await
        .unwrap();

    let jobs = store.lease_due(at(10), at(20), 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].number_id, pending.id());
    assert_eq!(&jobs[0].number, pending.number());
    assert_eq!(jobs[0].attempts, 0);
    // Once the number is settled, the job is gone for good.
    activate(&*store, &pending, at(11)).await;
    assert!(leased(&*store, 100, 110, 10).await.is_empty());
}

/// A leased job is not handed out again until its lease expires.
pub async fn jobs_leases_are_exclusive_until_they_expire<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    assert_eq!(leased(&*store, 2, 12, 10).await, vec![(number.id(), 0)]);
    assert!(leased(&*store, 5, 15, 10).await.is_empty(), "still leased");
    assert!(leased(&*store, 11, 21, 10).await.is_empty(), "still leased");
    assert_eq!(
        leased(&*store, 12, 22, 10).await,
        vec![(number.id(), 0)],
        "expired at 12"
    );
}

/// `retry_at` records the attempts, releases the lease and makes the job
/// due again later; on a settled job it does nothing.
pub async fn jobs_retry_at_reschedules<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let jobs = store.lease_due(at(2), at(100), 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    store
        .retry_at(&jobs[0], 1, at(30), "carrier returned 503")
        .await
        .unwrap();
    assert!(leased(&*store, 29, 100, 10).await.is_empty(), "not due yet");
    let again = store.lease_due(at(30), at(100), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].number_id, again[0].attempts), (number.id(), 1));
    activate(&*store, &number, at(31)).await;
    store.retry_at(&again[0], 2, at(40), "late").await.unwrap();
    assert!(leased(&*store, 200, 300, 10).await.is_empty());
}

/// A job handed out again after its lease expired belongs to its new
/// lease: a retry recorded under the old one, even by the same store (two
/// attempts of one worker, say), changes nothing; the current one counts.
pub async fn jobs_retry_at_needs_the_current_lease<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let first = store.lease_due(at(2), at(12), 10).await.unwrap();
    let second = store.lease_due(at(12), at(22), 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert_ne!(first[0].lease_until, second[0].lease_until);

    store
        .retry_at(&first[0], 1, at(13), "too late")
        .await
        .unwrap();
    assert!(
        leased(&*store, 15, 25, 10).await.is_empty(),
        "still held by the second lease"
    );
    store.retry_at(&second[0], 1, at(30), "busy").await.unwrap();
    assert!(leased(&*store, 29, 40, 10).await.is_empty(), "not due yet");
    assert_eq!(leased(&*store, 30, 40, 10).await, vec![(number.id(), 1)]);
}

/// Oldest due first, at most `limit`.
pub async fn jobs_lease_oldest_first_within_limit<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let first = claim(&*store, acme.org_id, "415", at(1)).await;
    let second = claim(&*store, acme.org_id, "415", at(2)).await;
    let third = claim(&*store, acme.org_id, "415", at(3)).await;
    assert_eq!(
        leased(&*store, 10, 20, 2).await,
        vec![(first.id(), 0), (second.id(), 0)]
    );
    assert_eq!(leased(&*store, 10, 20, 2).await, vec![(third.id(), 0)]);
}

/// Concurrent workers never lease the same job.
pub async fn jobs_concurrent_leases_never_share_a_job<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let mut claimed = HashSet::new();
    for i in 0..30 {
        claimed.insert(claim(&*store, acme.org_id, "415", at(i)).await.id());
    }
    let batches = join_all((0..10).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { leased(&*store, 100, 200, 5).await })
    }))
    .await;
    let mut seen = HashSet::new();
    for batch in batches {
        for (id, _) in batch.unwrap() {
            assert!(seen.insert(id), "job {id} leased twice");
        }
    }
    assert_eq!(seen, claimed);
}
