//! Webhook endpoints and the delivery outbox: deliveries are written with
//! their event, leased exclusively, retried on schedule, and endpoints
//! that keep failing are disabled.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Description, Event, EventType, EventTypes, OrgId,
    Timestamp, WebhookEndpoint, WebhookUrl,
};
use thunderphone_ports::{
    Attempt, AttemptOutcome, EndpointChange, NewWebhookEndpoint, PageRequest,
};

use crate::TestStore;
use crate::fixtures::{activate, at, claim, limit, sealed, tenant};

fn url(value: &str) -> WebhookUrl {
    WebhookUrl::parse(value).expect("valid url")
}

/// Creates an endpoint of `org_id` subscribed to `types` (all if empty).
pub async fn endpoint<S: TestStore>(
    store: &S,
    org_id: OrgId,
    types: &[EventType],
    now: Timestamp,
) -> WebhookEndpoint {
    let event_types = if types.is_empty() {
        EventTypes::all()
    } else {
        EventTypes::new(types.iter().copied()).expect("event types")
    };
    store
        .create_endpoint(
            NewWebhookEndpoint {
                org_id,
                url: url("https://hooks.example.com/in"),
                event_types,
                description: Some(Description::parse("main").expect("description")),
                secret: sealed("k1", b"secret-one"),
                created_at: now,
            },
            20,
        )
        .await
        .expect("create_endpoint")
        .expect("under the limit")
}

/// Every delivery of an endpoint, newest first.
pub async fn deliveries<S: TestStore>(
    store: &S,
    org_id: OrgId,
    endpoint: &WebhookEndpoint,
    status: Option<DeliveryStatus>,
) -> Vec<Delivery> {
    let mut all = Vec::new();
    let mut after: Option<DeliveryId> = None;
    loop {
        let page = store
            .list_deliveries(
                org_id,
                endpoint.id,
                status,
                PageRequest {
                    limit: limit(2),
                    after,
                },
            )
            .await
            .expect("list_deliveries");
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

fn failed(
    at_: Timestamp,
    retry_at: Option<Timestamp>,
    since: Timestamp,
) -> (Timestamp, AttemptOutcome, Timestamp) {
    (
        at_,
        AttemptOutcome::Failed {
            status: Some(500),
            error: "the endpoint answered 500".into(),
            retry_at,
        },
        since,
    )
}

async fn record<S: TestStore>(
    store: &S,
    id: DeliveryId,
    (at_, outcome, since): (Timestamp, AttemptOutcome, Timestamp),
) {
    store
        .record_attempt(Attempt {
            delivery_id: id,
            at: at_,
            outcome,
            disable_if_failing_since: since,
        })
        .await
        .expect("record_attempt");
}

/// Endpoints: create, find, list, change, rotate, delete; org-scoped; at
/// most `max_per_org`.
pub async fn webhooks_endpoints_crud_and_limit<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let first = endpoint(&*store, acme.org_id, &[], at(1)).await;
    assert!(first.enabled && first.disabled_reason.is_none());
    assert_eq!(
        store
            .find_endpoint(acme.org_id, first.id)
            .await
            .expect("find"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .find_endpoint(other.org_id, first.id)
            .await
            .expect("find"),
        None
    );
    let second = endpoint(&*store, acme.org_id, &[EventType::Activated], at(2)).await;
    let new = |n: i64| NewWebhookEndpoint {
        org_id: acme.org_id,
        url: url("https://hooks.example.com/third"),
        event_types: EventTypes::all(),
        description: None,
        secret: sealed("k1", b"s"),
        created_at: at(n),
    };
    assert_eq!(
        store.create_endpoint(new(3), 2).await.expect("create"),
        None,
        "limit reached"
    );
    let page = store
        .list_endpoints(
            acme.org_id,
            PageRequest {
                limit: limit(1),
                after: None,
            },
        )
        .await
        .expect("list");
    assert_eq!(page.items, std::slice::from_ref(&second), "newest first");
    let rest = store
        .list_endpoints(
            acme.org_id,
            PageRequest {
                limit: limit(1),
                after: page.next,
            },
        )
        .await
        .expect("list");
    assert_eq!(rest.items, std::slice::from_ref(&first));
    assert_eq!(rest.next, None);

    let changed = store
        .update_endpoint(
            acme.org_id,
            first.id,
            EndpointChange {
                url: Some(url("https://other.example.com/x")),
                event_types: Some(EventTypes::new([EventType::Deleted]).expect("types")),
                description: Some(None),
                enabled: Some(false),
            },
        )
        .await
        .expect("update");
    assert_eq!(changed.url.as_str(), "https://other.example.com/x");
    assert_eq!(changed.event_types.as_slice(), [EventType::Deleted]);
    assert_eq!(changed.description, None);
    assert!(!changed.enabled);
    assert!(
        store
            .update_endpoint(other.org_id, first.id, EndpointChange::default())
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
    assert!(
        store
            .rotate_secret(other.org_id, first.id, sealed("k1", b"x"), at(9))
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
    assert!(
        store
            .delete_endpoint(other.org_id, first.id)
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
    store
        .delete_endpoint(acme.org_id, first.id)
        .await
        .expect("delete");
    assert_eq!(
        store
            .find_endpoint(acme.org_id, first.id)
            .await
            .expect("find"),
        None
    );
    assert!(
        store
            .create_endpoint(new(4), 2)
            .await
            .expect("create")
            .is_some(),
        "room again"
    );
}

/// A change writes one pending delivery, due at once, per enabled
/// endpoint of its org subscribed to its type — none for other orgs,
/// unsubscribed types or disabled endpoints.
pub async fn webhooks_deliveries_fan_out_with_the_event<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let all = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let activations = endpoint(&*store, acme.org_id, &[EventType::Activated], at(0)).await;
    let off = endpoint(&*store, acme.org_id, &[], at(0)).await;
    store
        .update_endpoint(
            acme.org_id,
            off.id,
            EndpointChange {
                enabled: Some(false),
                ..EndpointChange::default()
            },
        )
        .await
        .expect("disable");
    let theirs = endpoint(&*store, other.org_id, &[], at(0)).await;

    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    activate(&*store, &number, at(2)).await;

    let to_all = deliveries(&*store, acme.org_id, &all, None).await;
    assert_eq!(
        to_all.iter().map(|d| d.event_type).collect::<Vec<_>>(),
        [EventType::Activated, EventType::Created]
    );
    for d in &to_all {
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert_eq!(d.attempts, 0);
        assert_eq!(d.endpoint_id, all.id);
        assert_eq!(d.org_id, acme.org_id);
        assert!(d.next_attempt_at.is_some_and(|t| t <= at(2)), "due at once");
    }
    let to_activations = deliveries(&*store, acme.org_id, &activations, None).await;
    assert_eq!(to_activations.len(), 1);
    assert_eq!(to_activations[0].event_type, EventType::Activated);
    assert_eq!(to_activations[0].event_id, to_all[0].event_id, "same event");
    assert!(
        deliveries(&*store, acme.org_id, &off, None)
            .await
            .is_empty()
    );
    assert!(
        deliveries(&*store, other.org_id, &theirs, None)
            .await
            .is_empty()
    );
    assert!(
        store
            .list_deliveries(
                other.org_id,
                all.id,
                None,
                PageRequest {
                    limit: limit(5),
                    after: None
                }
            )
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
}

/// Leases are exclusive until they expire; a lease carries the event, the
/// URL and the signing secrets (the previous one only while it signs).
pub async fn webhooks_leases_are_exclusive_and_carry_what_to_send<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let hook = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    store
        .rotate_secret(acme.org_id, hook.id, sealed("k1", b"secret-two"), at(50))
        .await
        .expect("rotate");

    assert!(
        store
            .lease_due_deliveries(at(0), 10, at(30))
            .await
            .expect("lease")
            .is_empty(),
        "not due yet"
    );
    let leased = store
        .lease_due_deliveries(at(1), 10, at(30))
        .await
        .expect("lease");
    assert_eq!(leased.len(), 1);
    let due = &leased[0];
    assert_eq!(due.url, hook.url);
    assert_eq!(due.event.kind, EventType::Created);
    assert_eq!(due.event.phone_number_id(), Some(number.id()));
    assert_eq!(due.delivery.event_id, due.event.id);
    assert_eq!(
        due.secrets,
        [sealed("k1", b"secret-two"), sealed("k1", b"secret-one")],
        "current first, then the previous while it signs"
    );
    assert!(
        store
            .lease_due_deliveries(at(29), 10, at(60))
            .await
            .expect("lease")
            .is_empty(),
        "leased"
    );
    let again = store
        .lease_due_deliveries(at(55), 10, at(90))
        .await
        .expect("lease");
    assert_eq!(again.len(), 1, "an expired lease is due again");
    assert_eq!(
        again[0].secrets,
        [sealed("k1", b"secret-two")],
        "the previous secret expired"
    );
}

/// Concurrent leases never hand out the same delivery twice.
pub async fn webhooks_concurrent_leases_never_share<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    endpoint(&*store, acme.org_id, &[], at(0)).await;
    for i in 0..30 {
        claim(&*store, acme.org_id, "415", at(i % 3)).await;
    }
    let leases = join_all((0..6).map(|_| {
        let store = store.clone();
        async move {
            store
                .lease_due_deliveries(at(10), 4, at(100))
                .await
                .expect("lease")
        }
    }))
    .await;
    let mut seen = std::collections::HashSet::new();
    for lease in leases.into_iter().flatten() {
        assert!(
            seen.insert(lease.delivery.id),
            "delivery {} leased twice",
            lease.delivery.id
        );
    }
    assert_eq!(seen.len(), 24, "6 leases of 4");
    let rest = store
        .lease_due_deliveries(at(10), 100, at(100))
        .await
        .expect("lease");
    assert_eq!(rest.len(), 6);
}

/// Attempts: a failure with a retry stays pending until then; a success
/// ends it; a failure without a retry fails it; a retry makes any delivery
/// due again at once.
pub async fn webhooks_attempts_schedule_and_retry<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let hook = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    activate(&*store, &number, at(2)).await;
    let leased = store
        .lease_due_deliveries(at(3), 10, at(60))
        .await
        .expect("lease");
    assert_eq!(leased.len(), 2);
    let (first, second) = (leased[0].delivery.id, leased[1].delivery.id);

    record(&*store, first, failed(at(3), Some(at(8)), at(-86_400))).await;
    store
        .record_attempt(Attempt {
            delivery_id: second,
            at: at(3),
            outcome: AttemptOutcome::Succeeded { status: 204 },
            disable_if_failing_since: at(-86_400),
        })
        .await
        .expect("record");
    let all = deliveries(&*store, acme.org_id, &hook, None).await;
    let get = |id| all.iter().find(|d| d.id == id).expect("delivery").clone();
    let d1 = get(first);
    assert_eq!((d1.status, d1.attempts), (DeliveryStatus::Pending, 1));
    assert_eq!(d1.next_attempt_at, Some(at(8)));
    assert_eq!(d1.last_attempt_at, Some(at(3)));
    assert_eq!(d1.last_response_status, Some(500));
    assert_eq!(d1.last_error.as_deref(), Some("the endpoint answered 500"));
    let d2 = get(second);
    assert_eq!(
        (d2.status, d2.attempts, d2.next_attempt_at),
        (DeliveryStatus::Succeeded, 1, None)
    );
    assert_eq!(d2.last_response_status, Some(204));
    assert_eq!(
        deliveries(&*store, acme.org_id, &hook, Some(DeliveryStatus::Succeeded))
            .await
            .len(),
        1
    );

    assert!(
        store
            .lease_due_deliveries(at(7), 10, at(60))
            .await
            .expect("lease")
            .is_empty()
    );
    let retried = store
        .lease_due_deliveries(at(8), 10, at(60))
        .await
        .expect("lease");
    assert_eq!(retried.len(), 1);
    record(&*store, first, failed(at(8), None, at(-86_400))).await;
    let d1 = deliveries(&*store, acme.org_id, &hook, Some(DeliveryStatus::Failed)).await;
    assert_eq!(d1.len(), 1);
    assert_eq!((d1[0].attempts, d1[0].next_attempt_at), (2, None));

    let again = store
        .retry_delivery(acme.org_id, hook.id, first, at(20))
        .await
        .expect("retry");
    assert_eq!(
        (again.status, again.attempts, again.next_attempt_at),
        (DeliveryStatus::Pending, 2, Some(at(20)))
    );
    let other = tenant(&*store, "other").await;
    assert!(
        store
            .retry_delivery(other.org_id, hook.id, first, at(20))
            .await
            .is_err()
    );
    assert_eq!(
        store
            .lease_due_deliveries(at(20), 10, at(60))
            .await
            .expect("lease")
            .len(),
        1
    );
    // Recording an attempt of a delivery that is gone is no error.
    store
        .delete_endpoint(acme.org_id, hook.id)
        .await
        .expect("delete");
    record(&*store, first, failed(at(21), None, at(-86_400))).await;
}

/// An endpoint whose every attempt failed since the cut-off is disabled
/// (and its deliveries no longer leased); a success in between resets the
/// run; enabling it again clears the reason.
pub async fn webhooks_failing_endpoints_are_disabled<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let hook = endpoint(&*store, acme.org_id, &[], at(0)).await;
    for i in 0..3 {
        claim(&*store, acme.org_id, "415", at(i)).await;
    }
    let leased = store
        .lease_due_deliveries(at(10), 10, at(11))
        .await
        .expect("lease");
    let ids: Vec<DeliveryId> = leased.iter().map(|d| d.delivery.id).collect();
    // Failing since at(10); the cut-off before it: stays enabled.
    record(&*store, ids[0], failed(at(10), Some(at(100)), at(5))).await;
    record(&*store, ids[1], failed(at(20), Some(at(100)), at(9))).await;
    assert!(
        store
            .find_endpoint(acme.org_id, hook.id)
            .await
            .expect("find")
            .expect("hook")
            .enabled
    );
    // A success resets the run.
    store
        .record_attempt(Attempt {
            delivery_id: ids[2],
            at: at(30),
            outcome: AttemptOutcome::Succeeded { status: 200 },
            disable_if_failing_since: at(0),
        })
        .await
        .expect("record");
    record(&*store, ids[0], failed(at(40), Some(at(100)), at(35))).await;
    assert!(
        store
            .find_endpoint(acme.org_id, hook.id)
            .await
            .expect("find")
            .expect("hook")
            .enabled
    );
    // Failing since at(40), cut-off at(45): disabled.
    record(&*store, ids[1], failed(at(50), Some(at(100)), at(45))).await;
    let disabled = store
        .find_endpoint(acme.org_id, hook.id)
        .await
        .expect("find")
        .expect("hook");
    assert!(!disabled.enabled);
    assert_eq!(
        disabled.disabled_reason.as_deref(),
        Some(Attempt::DISABLED_REASON)
    );
    assert!(
        store
            .lease_due_deliveries(at(200), 10, at(300))
            .await
            .expect("lease")
            .is_empty(),
        "not leased while disabled"
    );
    let enabled = store
        .update_endpoint(
            acme.org_id,
            hook.id,
            EndpointChange {
                enabled: Some(true),
                ..EndpointChange::default()
            },
        )
        .await
        .expect("enable");
    assert!(enabled.enabled && enabled.disabled_reason.is_none());
    assert_eq!(
        store
            .lease_due_deliveries(at(200), 10, at(300))
            .await
            .expect("lease")
            .len(),
        2
    );
}

/// A test event goes to its endpoint only, even a disabled one, and is
/// listed among the org's events.
pub async fn webhooks_test_event_goes_to_one_endpoint<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let hook = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let bystander = endpoint(&*store, acme.org_id, &[], at(0)).await;
    store
        .update_endpoint(
            acme.org_id,
            hook.id,
            EndpointChange {
                enabled: Some(false),
                ..EndpointChange::default()
            },
        )
        .await
        .expect("disable");
    let event = Event::test(
        acme.org_id,
        at(5),
        thunderphone_domain::EventId::new(at(5), 7),
    );
    let delivery = store
        .record_test_event(hook.id, event.clone())
        .await
        .expect("test");
    assert_eq!(
        (delivery.endpoint_id, delivery.event_id, delivery.status),
        (hook.id, event.id, DeliveryStatus::Pending)
    );
    assert!(
        deliveries(&*store, acme.org_id, &bystander, None)
            .await
            .is_empty()
    );
    let leased = store
        .lease_due_deliveries(at(5), 10, at(60))
        .await
        .expect("lease");
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].event, event);
    assert_eq!(
        store.find_event(acme.org_id, event.id).await.expect("find"),
        Some(event.clone())
    );
    let foreign = Event::test(
        other.org_id,
        at(5),
        thunderphone_domain::EventId::new(at(5), 8),
    );
    assert!(
        store.record_test_event(hook.id, foreign).await.is_err(),
        "not another org's endpoint"
    );
}

/// The age of the outbox: the oldest pending delivery's creation.
pub async fn webhooks_oldest_pending<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    assert_eq!(store.oldest_pending().await.expect("oldest"), None);
    endpoint(&*store, acme.org_id, &[], at(0)).await;
    claim(&*store, acme.org_id, "415", at(3)).await;
    claim(&*store, acme.org_id, "415", at(7)).await;
    assert_eq!(store.oldest_pending().await.expect("oldest"), Some(at(3)));
    let leased = store
        .lease_due_deliveries(at(7), 1, at(9))
        .await
        .expect("lease");
    store
        .record_attempt(Attempt {
            delivery_id: leased[0].delivery.id,
            at: at(8),
            outcome: AttemptOutcome::Succeeded { status: 200 },
            disable_if_failing_since: at(0),
        })
        .await
        .expect("record");
    assert_eq!(store.oldest_pending().await.expect("oldest"), Some(at(7)));
}

/// A write that records deliveries wakes a waiter long before its timeout.
pub async fn webhooks_new_deliveries_wake_the_waiter<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    endpoint(&*store, acme.org_id, &[], at(0)).await;
    let waiter = {
        let store = store.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            store.wait_for_deliveries(Duration::from_secs(20)).await;
            started.elapsed()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    claim(&*store, acme.org_id, "415", at(1)).await;
    let waited = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter wakes")
        .expect("waiter task");
    assert!(waited < Duration::from_secs(5), "woken after {waited:?}");
}

/// One event to two endpoints: one lease hands out both deliveries, each
/// with its own endpoint's URL.
pub async fn webhooks_one_event_two_endpoints_lease_both<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let first = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let second = endpoint(&*store, acme.org_id, &[], at(0)).await;
    claim(&*store, acme.org_id, "415", at(1)).await;
    let leased = store
        .lease_due_deliveries(at(1), 10, at(60))
        .await
        .expect("lease");
    assert_eq!(leased.len(), 2, "{leased:#?}");
    assert_eq!(leased[0].event.id, leased[1].event.id);
    let mut endpoints: Vec<_> = leased.iter().map(|d| d.delivery.endpoint_id).collect();
    endpoints.sort();
    assert_eq!(endpoints, [first.id, second.id]);
    for due in &leased {
        assert_eq!(due.delivery.status, DeliveryStatus::Pending);
    }
}
