//! Creating and finding numbers: `insert_numbers`, `find_number`,
//! `find_number_unscoped`.

use std::collections::HashSet;
use std::sync::Arc;

use thunderphone_domain::{
    ChangeKind, NewPhoneNumber, PhoneNumberId, Source, Status, VerificationStatus, Version,
    VoipConnectionId,
};
use thunderphone_ports::{NumberFilter, PageRequest, Reference, RepoError};

use crate::TestStore;
use crate::fixtures::{
    activate, at, claim, connection, import, limit, missing_number, pool, tenant, walk_numbers,
};

/// Every number is created `provisioning`, `unverified`, at version 1 with
/// its connection, and gets a `created` snapshot naming the actor.
pub async fn insert_numbers_creates_version_one<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(1)).await;
    let wanted = [pool("212", 7), pool("646", 3), pool("415", 50)];
    let drafts = wanted
        .iter()
        .map(|n| NewPhoneNumber::voip(acme.org_id, n.clone(), trunk.id, at(5)))
        .collect();
    let created = store
        .insert_numbers(drafts, Some(acme.actor()))
        .await
        .unwrap();
    assert_eq!(created.len(), wanted.len());
    for (number, e164) in created.iter().zip(&wanted) {
        assert_eq!(number.number(), e164, "returned in input order");
        assert_eq!(number.org_id(), acme.org_id);
        assert_eq!(number.source(), Source::Voip);
        assert_eq!(number.status(), Status::Provisioning);
        assert_eq!(number.voip_connection_id(), Some(trunk.id));
        assert_eq!(
            number.voip_verification_status(),
            VerificationStatus::Unverified
        );
        assert_eq!(number.version(), Version::FIRST);
        assert_eq!(number.created_at(), at(5));
        assert_eq!(
            store.find_number(acme.org_id, number.id()).await.unwrap(),
            Some(number.clone())
        );
        let versions = store
            .list_versions(acme.org_id, number.id(), PageRequest::first(limit(5)))
            .await
            .unwrap();
        assert_eq!(
            versions.items,
            vec![number.snapshot(ChangeKind::Created, Some(acme.actor()))]
        );
    }
    let ids: HashSet<PhoneNumberId> = created.iter().map(|n| n.id()).collect();
    assert_eq!(ids.len(), 3, "distinct ids");
    assert_eq!(
        store.insert_numbers(Vec::new(), None).await,
        Ok(Vec::new()),
        "an empty batch is fine"
    );
}

/// A batch with taken numbers (held by any org, any source) fails with
/// `NumbersTaken` listing every one of them, and creates nothing.
pub async fn insert_numbers_is_all_or_nothing<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(1)).await;
    let held_demo = claim(&*store, globex.org_id, "415", at(2)).await;
    let held_voip = import(&*store, acme.org_id, trunk.id, &[pool("212", 5)], at(3)).await;

    let batch = [
        pool("646", 1),
        held_demo.number().clone(),
        pool("646", 2),
        held_voip[0].number().clone(),
    ];
    let drafts = batch
        .iter()
        .map(|n| NewPhoneNumber::voip(acme.org_id, n.clone(), trunk.id, at(4)))
        .collect();
    let Err(RepoError::NumbersTaken(mut taken)) = store.insert_numbers(drafts, None).await else {
        panic!("expected NumbersTaken");
    };
    taken.sort();
    let mut expected = vec![held_demo.number().clone(), held_voip[0].number().clone()];
    expected.sort();
    assert_eq!(taken, expected);

    let listed = walk_numbers(&*store, acme.org_id, &NumberFilter::default(), 50).await;
    assert_eq!(listed.len(), 1, "nothing of the failed batch was created");
    let free = import(
        &*store,
        acme.org_id,
        trunk.id,
        &[pool("646", 1), pool("646", 2)],
        at(5),
    )
    .await;
    assert_eq!(free.len(), 2, "the free numbers are still free");
}

/// A VoIP number must come through a connection of its own org.
pub async fn insert_numbers_rejects_foreign_connection<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let theirs = connection(&*store, globex.org_id, "theirs", at(1)).await;
    let ours = connection(&*store, acme.org_id, "ours", at(1)).await;
    let drafts = vec![
        NewPhoneNumber::voip(acme.org_id, pool("212", 1), ours.id, at(2)),
        NewPhoneNumber::voip(acme.org_id, pool("212", 2), theirs.id, at(2)),
    ];
    assert_eq!(
        store.insert_numbers(drafts, None).await,
        Err(RepoError::InvalidReference(Reference::VoipConnection(
            theirs.id.get()
        )))
    );
    let missing = VoipConnectionId::new(999_999).unwrap();
    let drafts = vec![NewPhoneNumber::voip(
        acme.org_id,
        pool("212", 3),
        missing,
        at(2),
    )];
    assert_eq!(
        store.insert_numbers(drafts, None).await,
        Err(RepoError::InvalidReference(Reference::VoipConnection(
            missing.get()
        )))
    );
    let listed = walk_numbers(&*store, acme.org_id, &NumberFilter::default(), 50).await;
    assert!(listed.is_empty(), "nothing was created");
    import(
        &*store,
        acme.org_id,
        ours.id,
        &[pool("212", 1), pool("212", 2)],
        at(3),
    )
    .await;
}

/// `find_number` sees only the org's not-deleted numbers.
pub async fn find_number_is_org_scoped<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(number.clone())
    );
    assert_eq!(
        store.find_number(globex.org_id, number.id()).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_number(acme.org_id, missing_number())
            .await
            .unwrap(),
        None
    );
    store
        .delete_number(acme.org_id, number.id(), None, at(9_000), None)
        .await
        .unwrap();
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        None
    );
}

/// `find_number_unscoped` sees any org's not-deleted number, current state.
pub async fn find_number_unscoped_ignores_org<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let ours = claim(&*store, acme.org_id, "415", at(1)).await;
    let theirs = claim(&*store, globex.org_id, "415", at(2)).await;
    let theirs = activate(&*store, &theirs, at(3)).await;
    assert_eq!(
        store.find_number_unscoped(ours.id()).await.unwrap(),
        Some(ours.clone())
    );
    assert_eq!(
        store.find_number_unscoped(theirs.id()).await.unwrap(),
        Some(theirs)
    );
    assert_eq!(
        store.find_number_unscoped(missing_number()).await.unwrap(),
        None
    );
    store
        .delete_number(acme.org_id, ours.id(), None, at(9_000), None)
        .await
        .unwrap();
    assert_eq!(store.find_number_unscoped(ours.id()).await.unwrap(), None);
}
