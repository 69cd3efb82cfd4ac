//! `save_change` and `delete_number`.

use std::sync::Arc;

use thunderphone_domain::{ChangeKind, Status, Version};
use thunderphone_ports::{NumberChange, NumberFilter, PageRequest, Reference, RepoError};

use crate::TestStore;
use crate::fixtures::{
    activate, agent, at, claim, connection, import, limit, missing_agent, pool, tenant, update,
    verify, walk_numbers,
};

/// Number of snapshots `org`'s view of a number holds.
async fn version_count<S: TestStore>(
    store: &S,
    org: thunderphone_domain::OrgId,
    id: thunderphone_domain::PhoneNumberId,
) -> usize {
    store
        .list_versions(org, id, PageRequest::first(limit(200)))
        .await
        .unwrap()
        .items
        .len()
}

/// The new state is stored and returned, and its snapshot (same version,
/// the change kind, the actor, `updated_at` as its time) is recorded.
pub async fn save_change_writes_number_and_snapshot<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let inbound = agent(&*store, acme.org_id, "in", at(0)).await;
    let outbound = agent(&*store, acme.org_id, "out", at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let updated = update(
        &number,
        Some(Some(inbound.id)),
        Some(Some(outbound.id)),
        None,
        at(2),
    );
    let expected = updated.number.clone();
    let saved = store
        .save_change(NumberChange {
            expected: number.version(),
            updated,
            actor: Some(acme.actor()),
            checks: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(saved, expected);
    assert_eq!(saved.version(), Version::new(2).unwrap());
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(saved.clone())
    );
    let versions = store
        .list_versions(acme.org_id, number.id(), PageRequest::first(limit(10)))
        .await
        .unwrap();
    assert_eq!(versions.items.len(), 2);
    let snapshot = &versions.items[0];
    assert_eq!(
        snapshot,
        &saved.snapshot(ChangeKind::Assigned, Some(acme.actor()))
    );
    assert_eq!(snapshot.version, saved.version());
    assert_eq!(snapshot.created_at, at(2));
    assert_eq!(versions.items[1].version, Version::FIRST);

    let activated = activate(&*store, &saved, at(3)).await;
    let versions = store
        .list_versions(acme.org_id, number.id(), PageRequest::first(limit(10)))
        .await
        .unwrap();
    assert_eq!(
        versions.items[0],
        activated.snapshot(ChangeKind::Activated, None)
    );
}

/// A change computed from an old version is refused with the current
/// version, and nothing is written.
pub async fn save_change_stale_version_conflicts<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let current = activate(&*store, &number, at(2)).await;
    let stale = number.fail_provisioning("late", at(3)).unwrap();
    assert_eq!(
        store
            .save_change(NumberChange {
                expected: number.version(),
                updated: stale,
                actor: None,
                checks: Vec::new(),
            })
            .await,
        Err(RepoError::VersionConflict {
            current: current.version()
        })
    );
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(current)
    );
    assert_eq!(version_count(&*store, acme.org_id, number.id()).await, 2);
}

/// A deleted number cannot be changed.
pub async fn save_change_on_deleted_number_is_not_found<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    store
        .delete_number(acme.org_id, number.id(), None, at(9_000), None)
        .await
        .unwrap();
    let change = NumberChange {
        expected: number.version(),
        updated: number.activate(at(2)).unwrap(),
        actor: None,
        checks: Vec::new(),
    };
    assert_eq!(store.save_change(change).await, Err(RepoError::NotFound));
}

/// Agents must exist in the number's org; the error names the field.
pub async fn save_change_rejects_missing_or_foreign_agents<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let ours = agent(&*store, acme.org_id, "ours", at(0)).await;
    let theirs = agent(&*store, globex.org_id, "theirs", at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let attempts = [
        (
            Some(Some(missing_agent())),
            None,
            Reference::InboundAgent(missing_agent().get()),
        ),
        (
            Some(Some(theirs.id)),
            Some(Some(ours.id)),
            Reference::InboundAgent(theirs.id.get()),
        ),
        (
            Some(Some(ours.id)),
            Some(Some(theirs.id)),
            Reference::OutboundAgent(theirs.id.get()),
        ),
        (
            None,
            Some(Some(missing_agent())),
            Reference::OutboundAgent(missing_agent().get()),
        ),
    ];
    for (inbound, outbound, reference) in attempts {
        let change = NumberChange {
            expected: number.version(),
            updated: update(&number, inbound, outbound, None, at(2)),
            actor: None,
            checks: Vec::new(),
        };
        assert_eq!(
            store.save_change(change).await,
            Err(RepoError::InvalidReference(reference))
        );
    }
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(number.clone())
    );
    assert_eq!(version_count(&*store, acme.org_id, number.id()).await, 1);
}

/// After a transfer the VoIP connection must be the new org's.
pub async fn save_change_rejects_connection_outside_new_org<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let ours = connection(&*store, acme.org_id, "ours", at(0)).await;
    let theirs = connection(&*store, globex.org_id, "theirs", at(0)).await;
    let number = import(&*store, acme.org_id, ours.id, &[pool("212", 1)], at(1)).await;
    let number = verify(&*store, &number[0], at(2)).await;
    let wrong = number
        .transfer(globex.org_id, Some(ours.id), at(3))
        .unwrap();
    let change = NumberChange {
        expected: number.version(),
        updated: wrong,
        actor: None,
        checks: Vec::new(),
    };
    assert_eq!(
        store.save_change(change).await,
        Err(RepoError::InvalidReference(Reference::VoipConnection(
            ours.id.get()
        )))
    );
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(number.clone())
    );
    let right = number
        .transfer(globex.org_id, Some(theirs.id), at(3))
        .unwrap();
    let moved = store
        .save_change(NumberChange {
            expected: number.version(),
            updated: right,
            actor: None,
            checks: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(moved.org_id(), globex.org_id);
    assert_eq!(moved.voip_connection_id(), Some(theirs.id));
    assert_eq!(moved.status(), Status::Provisioning);
}

/// Many writers racing from the same version: exactly one wins, the others
/// see the winner's version; the stored state is the winner's.
pub async fn save_change_concurrent_exactly_one_wins<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let number = activate(&*store, &number, at(2)).await;
    let mut agents = Vec::new();
    for i in 0..16 {
        agents.push(agent(&*store, acme.org_id, &format!("agent {i}"), at(3)).await);
    }
    let tasks: Vec<_> = agents
        .iter()
        .map(|a| {
            let store = Arc::clone(&store);
            let change = NumberChange {
                expected: number.version(),
                updated: update(&number, Some(Some(a.id)), None, None, at(4)),
                actor: None,
                checks: Vec::new(),
            };
            tokio::spawn(async move { store.save_change(change).await })
        })
        .collect();
    let mut winners = Vec::new();
    for result in futures::future::join_all(tasks).await {
        match result.expect("task") {
            Ok(saved) => winners.push(saved),
            Err(RepoError::VersionConflict { current }) => {
                assert_eq!(current, number.version().next());
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins");
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(winners[0].clone())
    );
    assert_eq!(version_count(&*store, acme.org_id, number.id()).await, 3);
}

/// Deleting returns the number as it was and removes it from the org: it
/// is not found, listed, changed or deleted again, and has no visible
/// history; its E.164 number can be held again by a new phone number.
pub async fn delete_number_soft_deletes<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(0)).await;
    let number = import(&*store, acme.org_id, trunk.id, &[pool("212", 1)], at(1)).await;
    let number = verify(&*store, &number[0], at(2)).await;
    let deleted = store
        .delete_number(acme.org_id, number.id(), None, at(9_000), None)
        .await
        .unwrap();
    assert_eq!(deleted, number);
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        None
    );
    assert_eq!(store.find_number_unscoped(number.id()).await.unwrap(), None);
    let listed = walk_numbers(&*store, acme.org_id, &NumberFilter::default(), 10).await;
    assert!(listed.is_empty());
    assert_eq!(
        store
            .list_versions(acme.org_id, number.id(), PageRequest::first(limit(10)))
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        store
            .delete_number(acme.org_id, number.id(), None, at(9_000), None)
            .await,
        Err(RepoError::NotFound)
    );
    let again = import(&*store, acme.org_id, trunk.id, &[pool("212", 1)], at(3)).await;
    assert_ne!(again[0].id(), number.id());
    assert_eq!(
        version_count(&*store, acme.org_id, again[0].id()).await,
        1,
        "the new holder's history starts afresh"
    );
}

/// Only the holding org can delete; a stale `expected` is a conflict and
/// deletes nothing; the current one deletes.
pub async fn delete_number_checks_org_and_version<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let current = activate(&*store, &number, at(2)).await;
    assert_eq!(
        store
            .delete_number(globex.org_id, number.id(), None, at(9_000), None)
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        store
            .delete_number(
                acme.org_id,
                number.id(),
                Some(number.version()),
                at(9_000),
                None
            )
            .await,
        Err(RepoError::VersionConflict {
            current: current.version()
        })
    );
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(current.clone())
    );
    let deleted = store
        .delete_number(
            acme.org_id,
            number.id(),
            Some(current.version()),
            at(9_000),
            None,
        )
        .await
        .unwrap();
    assert_eq!(deleted, current);
    assert_eq!(
        store
            .delete_number(
                acme.org_id,
                number.id(),
                Some(current.version()),
                at(9_000),
                None
            )
            .await,
        Err(RepoError::NotFound)
    );
}
