//! Events: written with the change they describe, in the org that sees
//! them, listed newest first, purged after their time.

use std::sync::Arc;

use thunderphone_domain::{Event, EventData, EventId, EventType, PhoneNumber, Verification};
use thunderphone_ports::{CheckOutcome, EventCursor, EventFilter, NumberChange, PageRequest};

use crate::TestStore;
use crate::fixtures::{
    activate, agent, at, change, claim, connection, import, limit, pool, tenant,
};

/// Every event of `org`, newest first, walking pages of `size`.
pub async fn all_events<S: TestStore>(
    store: &S,
    org_id: thunderphone_domain::OrgId,
    filter: EventFilter,
    size: i64,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut after: Option<EventCursor> = None;
    for _ in 0..crate::fixtures::MAX_PAGES {
        let page = store
            .list_events(
                org_id,
                &filter,
                PageRequest {
                    limit: limit(size),
                    after,
                },
            )
            .await
            .expect("list_events");
        events.extend(page.items);
        match page.next {
            Some(next) => {
                assert!(after.is_none_or(|a| next < a), "cursor must move");
                after = Some(next);
            }
            None => return events,
        }
    }
    panic!("{}", crate::fixtures::TOO_MANY_PAGES);
}

fn types(events: &[Event]) -> Vec<EventType> {
    events.iter().map(|e| e.kind).collect()
}

fn number_of(event: &Event) -> &PhoneNumber {
    match &event.data {
        EventData::Number { number, .. } => number,
        other => panic!("expected a number event, got {other:?}"),
    }
}

/// Each recorded change has its event in the holding org, carrying the
/// number at that version; a delete has one too.
pub async fn events_record_every_change<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let claimed = claim(&*store, acme.org_id, "415", at(1)).await;
    let active = activate(&*store, &claimed, at(2)).await;
    let greeter = agent(&*store, acme.org_id, "greeter", at(2)).await;
    let assigned = change(&*store, &active, Some(Some(greeter.id)), None, None, at(3)).await;
    let released = change(
        &*store,
        &assigned,
        None,
        None,
        Some(thunderphone_domain::Status::Released),
        at(4),
    )
    .await;
    store
        .delete_number(acme.org_id, released.id(), None, at(5), Some(acme.actor()))
        .await
        .expect("delete_number");

    let events = all_events(&*store, acme.org_id, EventFilter::default(), 2).await;
    assert_eq!(
        types(&events),
        [
            EventType::Deleted,
            EventType::StatusChanged,
            EventType::Assigned,
            EventType::Activated,
            EventType::Created,
        ],
        "one event per change, newest first"
    );
    let versions: Vec<i64> = events
        .iter()
        .map(|e| number_of(e).version().get())
        .collect();
    assert_eq!(versions, [4, 4, 3, 2, 1], "each carries its version");
    assert_eq!(
        number_of(&events[2]),
        &assigned,
        "the number at that version"
    );
    assert_eq!(number_of(&events[4]), &claimed);
    assert_eq!(events[0].created_at, at(5));
    match &events[0].data {
        EventData::Number { changed_by, .. } => assert_eq!(*changed_by, Some(acme.actor())),
        other => panic!("{other:?}"),
    }
    for event in &events {
        assert_eq!(event.org_id, acme.org_id);
        assert_eq!(
            store
                .find_event(acme.org_id, event.id)
                .await
                .expect("find_event")
                .as_ref(),
            Some(event),
            "an event reads back exactly as written"
        );
        assert_eq!(
            store
                .find_event(other.org_id, event.id)
                .await
                .expect("find_event"),
            None,
            "another org never sees it"
        );
    }
    assert!(
        all_events(&*store, other.org_id, EventFilter::default(), 50)
            .await
            .is_empty()
    );
}

/// Imports record `created`; a verification outcome carries its checks; a
/// transfer records `transferred_out` (id, number, target only) in the
/// source org and `transferred_in` in the target org.
pub async fn events_of_imports_verifications_and_transfers<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(1)).await;
    let imported = import(&*store, acme.org_id, trunk.id, &[pool("212", 7)], at(1)).await;
    let number = &imported[0];
    let checks = vec![
        CheckOutcome::passed("credentials", "accepted"),
        CheckOutcome::failed("outbound_trunking", "SIP OPTIONS timed out after 3 s"),
    ];
    let failed = number
        .record_verification(
            Verification::Failed {
                reason: "outbound trunking".into(),
            },
            at(2),
        )
        .expect("verification");
    let failed = store
        .save_change(NumberChange {
            expected: number.version(),
            updated: failed,
            actor: Some(acme.actor()),
            checks: checks.clone(),
        })
        .await
        .expect("save_change");
    let verified = crate::fixtures::verify(&*store, &failed, at(3)).await;
    let their_trunk = connection(&*store, globex.org_id, "their trunk", at(3)).await;
    let moved = verified
        .transfer(globex.org_id, Some(their_trunk.id), at(4))
        .expect("transfer");
    let moved = crate::fixtures::save(&*store, &verified, moved, Some(acme.actor())).await;

    let ours = all_events(&*store, acme.org_id, EventFilter::default(), 50).await;
    assert_eq!(
        types(&ours),
        [
            EventType::TransferredOut,
            EventType::Verified,
            EventType::VerificationFailed,
            EventType::Created,
        ]
    );
    assert_eq!(
        ours[0].data,
        EventData::TransferredOut {
            phone_number_id: moved.id(),
            number: moved.number().clone(),
            to_org_id: globex.org_id,
        },
        "the source org learns only where it went"
    );
    match &ours[2].data {
        EventData::Number { checks: kept, .. } => assert_eq!(kept, &checks),
        other => panic!("{other:?}"),
    }
    let theirs = all_events(&*store, globex.org_id, EventFilter::default(), 50).await;
    assert_eq!(types(&theirs), [EventType::TransferredIn]);
    assert_eq!(number_of(&theirs[0]), &moved);
}

/// The `type` and `phone_number_id` filters, alone and together.
pub async fn events_filters<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let first = claim(&*store, acme.org_id, "415", at(1)).await;
    let second = claim(&*store, acme.org_id, "415", at(2)).await;
    activate(&*store, &first, at(3)).await;
    activate(&*store, &second, at(4)).await;

    let created = EventFilter {
        kind: Some(EventType::Created),
        ..EventFilter::default()
    };
    let found = all_events(&*store, acme.org_id, created, 1).await;
    assert_eq!(types(&found), [EventType::Created, EventType::Created]);
    let of_first = EventFilter {
        phone_number_id: Some(first.id()),
        ..EventFilter::default()
    };
    let found = all_events(&*store, acme.org_id, of_first, 1).await;
    assert_eq!(types(&found), [EventType::Activated, EventType::Created]);
    assert!(
        found
            .iter()
            .all(|e| e.phone_number_id() == Some(first.id()))
    );
    let both = EventFilter {
        kind: Some(EventType::Activated),
        phone_number_id: Some(second.id()),
    };
    let found = all_events(&*store, acme.org_id, both, 50).await;
    assert_eq!(found.len(), 1);
    assert_eq!(number_of(&found[0]).id(), second.id());
}

/// Event ids are unique; an unknown id is `None`.
pub async fn events_ids_are_unique<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    for i in 0..20 {
        claim(&*store, acme.org_id, "415", at(i)).await;
    }
    let events = all_events(&*store, acme.org_id, EventFilter::default(), 50).await;
    let ids: std::collections::HashSet<EventId> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 20);
    let unknown = EventId::new(at(0), 42);
    assert_eq!(
        store.find_event(acme.org_id, unknown).await.expect("find"),
        None
    );
}

/// Purging deletes old events in batches and keeps newer ones.
pub async fn events_purge_in_batches<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    for i in 0..5 {
        claim(&*store, acme.org_id, "415", at(i)).await;
    }
    assert_eq!(store.purge_events(at(3), 2).await.expect("purge"), 2);
    assert_eq!(store.purge_events(at(3), 2).await.expect("purge"), 1);
    assert_eq!(store.purge_events(at(3), 2).await.expect("purge"), 0);
    let left = all_events(&*store, acme.org_id, EventFilter::default(), 50).await;
    assert_eq!(
        left.iter().map(|e| e.created_at).collect::<Vec<_>>(),
        [at(4), at(3)]
    );
}
