//! Fan-out and leases: deliveries written with their event, leased
//! exclusively, and the waiter woken.

use super::*;

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
