//! Attempts: retries on schedule, and endpoints that keep failing are
//! disabled.

use super::*;

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
