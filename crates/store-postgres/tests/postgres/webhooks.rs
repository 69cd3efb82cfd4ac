//! Events and the delivery outbox on a real database: leases across
//! stores (instances), notifications across stores, the one-statement
//! claim writing its event and deliveries, and the purge's cascade.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use thunderphone_domain::{DeliveryId, Event, EventType};
use thunderphone_ports::{
    EventFilter, EventRepository, NumberChange, NumberRepository, PageRequest, WebhookRepository,
};
use thunderphone_store_contract::cases::{deliveries, endpoint};
use thunderphone_store_contract::fixtures::{activate, area, at, claim, limit, tenant};
use thunderphone_store_postgres::{PgStore, PoolOptions};

use crate::support::{count, execute, fresh};

/// Another store on the same database: another instance of the server.
fn instance(url: &str) -> Arc<PgStore> {
    let options = PoolOptions {
        max_size: 4,
        connection_timeout: Duration::from_secs(30),
        statement_timeout: Duration::from_secs(30),
    };
    Arc::new(PgStore::connect(url, options).unwrap())
}

/// Two instances leasing the same due deliveries at once, in small
/// batches until none is left, get disjoint sets that cover them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_lease_disjoint_deliveries() {
    let (first, url) = fresh().await;
    let second = instance(&url);
    let acme = tenant(&*first, "acme").await;
    endpoint(&*first, acme.org_id, &[], at(0)).await;
    endpoint(&*first, acme.org_id, &[EventType::Created], at(0)).await;
    for i in 0..30 {
        claim(&*first, acme.org_id, "415", at(i % 5)).await;
    }
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM webhook_deliveries"),
        60
    );

    let drain = |store: Arc<PgStore>| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store
                .lease_due_deliveries(at(10), 3, at(1_000))
                .await
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|d| d.delivery.id));
        }
    };
    let workers: Vec<_> = [&first, &second, &first, &second]
        .into_iter()
        .map(|store| tokio::spawn(drain(Arc::clone(store))))
        .collect();
    let mut seen: HashSet<DeliveryId> = HashSet::new();
    let mut per_store = Vec::new();
    for worker in join_all(workers).await {
        let leased = worker.unwrap();
        per_store.push(leased.len());
        for id in leased {
            assert!(seen.insert(id), "delivery {id} leased twice");
        }
    }
    assert_eq!(seen.len(), 60, "every delivery leased once: {per_store:?}");
    drop(second);
}

/// A commit in one instance wakes a waiter of another long before its
/// timeout: the notification travels through the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_elsewhere_wakes_the_waiter() {
    let (waiting, url) = fresh().await;
    let writer = instance(&url);
    let acme = tenant(&*writer, "acme").await;
    endpoint(&*writer, acme.org_id, &[], at(0)).await;
    // The listener wakes its waiters once when it starts listening (it may
    // have missed commits): wait until a wait runs its whole course.
    let mut quiet = false;
    for _ in 0..50 {
        let started = Instant::now();
        waiting
            .wait_for_deliveries(Duration::from_millis(300))
            .await;
        if started.elapsed() >= Duration::from_millis(290) {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "the waiter keeps being woken with nothing committed");

    let waiter = {
        let waiting = Arc::clone(&waiting);
        tokio::spawn(async move {
            waiting.wait_for_deliveries(Duration::from_secs(20)).await;
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let claiming = Instant::now();
    claim(&*writer, acme.org_id, "415", at(1)).await;
    let committed = Instant::now();
    let woken = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter wakes")
        .unwrap();
    assert!(woken > claiming, "woken before anything was committed");
    let after = woken.saturating_duration_since(committed);
    assert!(
        after < Duration::from_secs(1),
        "woken {after:?} after the commit"
    );
    drop(writer);
}

/// The one-statement pool claim records `phone_number.created` as the
/// domain makes it, and a pending delivery to each subscribed endpoint
/// only; a claim that finds no free line records nothing.
#[tokio::test]
async fn the_claim_statement_records_its_event_and_deliveries() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let created_only = endpoint(&*store, acme.org_id, &[EventType::Created], at(0)).await;
    let activations = endpoint(&*store, acme.org_id, &[EventType::Activated], at(0)).await;
    let number = store
        .claim_pool_number(acme.org_id, &[area("415")], at(1), Some(acme.actor()))
        .await
        .unwrap()
        .unwrap();

    let page = store
        .list_events(
            acme.org_id,
            &EventFilter::default(),
            PageRequest {
                limit: limit(10),
                after: None,
            },
        )
        .await
        .unwrap();
    let [event] = &page.items[..] else {
        panic!("one event, got {:?}", page.items);
    };
    assert_eq!(
        event,
        &Event::created(&number, Some(acme.actor()), event.id),
        "the event of the claimed number, by its actor"
    );
    let sent = deliveries(&*store, acme.org_id, &created_only, None).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_id, event.id);
    assert_eq!(sent[0].next_attempt_at, Some(at(1)), "due at once");
    assert!(
        deliveries(&*store, acme.org_id, &activations, None)
            .await
            .is_empty()
    );

    // The rest of 415's lines taken, a claim limited to it finds none.
    execute(
        &url,
        "UPDATE demo_pool SET held = true WHERE area_code = '415'",
    );
    let none = store
        .claim_pool_number(acme.org_id, &[area("415")], at(2), None)
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(count(&url, "SELECT count(*) AS n FROM events"), 1);
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM webhook_deliveries"),
        1
    );
}

/// A change that loses to another records no event and no delivery: they
/// are written in the change's transaction.
#[tokio::test]
async fn a_conflicting_change_records_no_event() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    endpoint(&*store, acme.org_id, &[], at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    activate(&*store, &number, at(2)).await;
    let stale = number.activate(at(3)).unwrap();
    let lost = store
        .save_change(NumberChange::new(number.version(), stale, None))
        .await;
    assert!(lost.is_err(), "{lost:?}");
    assert_eq!(count(&url, "SELECT count(*) AS n FROM events"), 2);
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM webhook_deliveries"),
        2
    );
}

/// The purge deletes old events with their deliveries (by the foreign
/// key's cascade) and keeps newer events and theirs.
#[tokio::test]
async fn purged_events_take_their_deliveries_along() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let hook = endpoint(&*store, acme.org_id, &[], at(0)).await;
    for i in 0..4 {
        claim(&*store, acme.org_id, "415", at(i)).await;
    }
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM webhook_deliveries"),
        4
    );
    assert_eq!(store.purge_events(at(2), 10).await.unwrap(), 2);
    assert_eq!(count(&url, "SELECT count(*) AS n FROM events"), 2);
    let left = deliveries(&*store, acme.org_id, &hook, None).await;
    let mut due: Vec<_> = left.iter().map(|d| d.next_attempt_at).collect();
    due.sort();
    assert_eq!(due, [Some(at(2)), Some(at(3))]);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) AS n FROM webhook_deliveries d \
             WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.seq = d.event_seq)"
        ),
        0
    );
}
