//! VoIP connections: create, find, credentials, list, delete.

use std::sync::Arc;

use thunderphone_domain::{
    ChangeKind, OrgId, SipUri, Status, VoipConnection, VoipConnectionId, VoipProvider,
};
use thunderphone_ports::{NewVoipConnection, NumberFilter, PageRequest, RepoError};

use crate::TestStore;
use crate::fixtures::{
    MAX_PAGES, TOO_MANY_PAGES, advance, at, check_page, connection, cursor, import, limit, name,
    pool, tenant, twilio_credentials, verify, walk_numbers,
};

/// Every connection of `org`, walking pages of `size`.
async fn walk_connections<S: TestStore>(store: &S, org: OrgId, size: i64) -> Vec<VoipConnection> {
    let mut all = Vec::new();
    let mut request = PageRequest::first(limit(size));
    for _ in 0..MAX_PAGES {
        let page = store.list_connections(org, request).await.unwrap();
        check_page(&page, size, |c| cursor(c.created_at, c.id.get()));
        all.extend(page.items);
        match page.next {
            Some(next) => advance(&mut request.after, next),
            None => return all,
        }
    }
    panic!("{}", TOO_MANY_PAGES)
}

/// A connection is stored with its fields and provider; its credentials
/// come back unchanged from `find_connection_credentials`; both finds are
/// scoped to the org.
pub async fn connections_create_find_credentials<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let uri = SipUri::parse("sip:pbx.example.com:5060").unwrap();
    let created = store
        .create_connection(NewVoipConnection {
            org_id: acme.org_id,
            name: name("Main trunk"),
            provider: VoipProvider::Twilio,
            termination_uri: Some(uri.clone()),
            credentials: twilio_credentials(),
            created_at: at(7),
        })
        .await
        .unwrap();
    assert_eq!(created.org_id, acme.org_id);
    assert_eq!(created.name.as_str(), "Main trunk");
    assert_eq!(created.provider, VoipProvider::Twilio);
    assert_eq!(created.termination_uri, Some(uri));
    assert_eq!(created.created_at, at(7));

    let sip_credentials = crate::fixtures::sealed("k2", &[0, 1, 2, 255]);
    let sip = store
        .create_connection(NewVoipConnection {
            org_id: acme.org_id,
            name: name("SIP"),
            provider: VoipProvider::Sip,
            termination_uri: None,
            credentials: sip_credentials.clone(),
            created_at: at(8),
        })
        .await
        .unwrap();
    assert_eq!(sip.provider, VoipProvider::Sip);
    assert_ne!(sip.id, created.id);

    assert_eq!(
        store
            .find_connection(acme.org_id, created.id)
            .await
            .unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store
            .find_connection_credentials(acme.org_id, created.id)
            .await
            .unwrap(),
        Some((created.clone(), twilio_credentials()))
    );
    assert_eq!(
        store
            .find_connection_credentials(acme.org_id, sip.id)
            .await
            .unwrap(),
        Some((sip, sip_credentials))
    );
    assert_eq!(
        store
            .find_connection(globex.org_id, created.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .find_connection_credentials(globex.org_id, created.id)
            .await
            .unwrap(),
        None
    );
    let missing = VoipConnectionId::new(999_999).unwrap();
    assert_eq!(
        store.find_connection(acme.org_id, missing).await.unwrap(),
        None
    );
}

/// Connections list newest first (ties by id desc), only the org's, and
/// pages walk all of them once.
pub async fn connections_list_newest_first_paginated<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let mut created = Vec::new();
    for i in 0..9 {
        created.push(connection(&*store, acme.org_id, &format!("conn {i}"), at(i / 2)).await);
        connection(&*store, globex.org_id, &format!("theirs {i}"), at(i)).await;
    }
    created.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)));
    for size in [1, 2, 9, 50] {
        assert_eq!(
            walk_connections(&*store, acme.org_id, size).await,
            created,
            "page size {size}"
        );
    }
}

/// Deleting a connection detaches each of its numbers, recording an
/// `assigned` version with no connection (at `now`, by the actor); other
/// numbers are untouched and the connection is gone.
pub async fn connections_delete_detaches_numbers<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let doomed = connection(&*store, acme.org_id, "doomed", at(0)).await;
    let kept = connection(&*store, acme.org_id, "kept", at(0)).await;
    let linked = import(
        &*store,
        acme.org_id,
        doomed.id,
        &[pool("212", 1), pool("212", 2)],
        at(1),
    )
    .await;
    let active = verify(&*store, &linked[0], at(2)).await;
    let other = import(&*store, acme.org_id, kept.id, &[pool("646", 1)], at(3))
        .await
        .remove(0);
    let deleted = import(&*store, acme.org_id, doomed.id, &[pool("718", 1)], at(4))
        .await
        .remove(0);
    store
        .delete_number(acme.org_id, deleted.id(), None, at(9_000), None)
        .await
        .unwrap();

    store
        .delete_connection(acme.org_id, doomed.id, at(10), Some(acme.actor()))
        .await
        .unwrap();
    assert_eq!(
        store.find_connection(acme.org_id, doomed.id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_connection_credentials(acme.org_id, doomed.id)
            .await
            .unwrap(),
        None
    );

    for before in [&active, &linked[1]] {
        let after = store
            .find_number(acme.org_id, before.id())
            .await
            .unwrap()
            .expect("the number stays");
        assert_eq!(after.voip_connection_id(), None);
        assert_eq!(after.version(), before.version().next());
        assert_eq!(after.status(), before.status(), "status is kept");
        assert_eq!(after.updated_at(), at(10));
        let versions = store
            .list_versions(acme.org_id, before.id(), PageRequest::first(limit(1)))
            .await
            .unwrap();
        let snapshot = &versions.items[0];
        assert_eq!(
            snapshot,
            &after.snapshot(ChangeKind::Assigned, Some(acme.actor()))
        );
        assert_eq!(snapshot.voip_connection_id, None);
    }
    assert_eq!(active.status(), Status::Active);
    assert_eq!(
        store.find_number(acme.org_id, other.id()).await.unwrap(),
        Some(other.clone())
    );
    let filter = NumberFilter {
        voip_connection_id: Some(doomed.id),
        ..Default::default()
    };
    assert!(
        walk_numbers(&*store, acme.org_id, &filter, 10)
            .await
            .is_empty()
    );
    assert_eq!(walk_connections(&*store, acme.org_id, 10).await, vec![kept]);
    assert_eq!(
        store
            .delete_connection(acme.org_id, doomed.id, at(11), None)
            .await,
        Err(RepoError::NotFound)
    );
}

/// Only the owning org can delete a connection; a refused delete changes
/// nothing.
pub async fn connections_delete_is_org_scoped<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(0)).await;
    let number = import(&*store, acme.org_id, trunk.id, &[pool("212", 1)], at(1))
        .await
        .remove(0);
    assert_eq!(
        store
            .delete_connection(globex.org_id, trunk.id, at(2), None)
            .await,
        Err(RepoError::NotFound)
    );
    let missing = VoipConnectionId::new(999_999).unwrap();
    assert_eq!(
        store
            .delete_connection(acme.org_id, missing, at(2), None)
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        store.find_connection(acme.org_id, trunk.id).await.unwrap(),
        Some(trunk)
    );
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(number)
    );
}

/// Rotation: `sealed_with_other_keys` lists connections of every org not
/// under the key, and `reseal` replaces credentials only if unchanged.
pub async fn connections_reseal_for_rotation<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let a = connection(&*store, acme.org_id, "a", at(1)).await;
    let b = connection(&*store, globex.org_id, "b", at(2)).await;
    let stale = store.sealed_with_other_keys("k2", 10).await.unwrap();
    let ids: Vec<_> = stale.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![a.id, b.id]);
    assert!(
        store
            .sealed_with_other_keys("k1", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.sealed_with_other_keys("k2", 1).await.unwrap().len(),
        1
    );
    let new = crate::fixtures::sealed("k2", b"resealed");
    assert!(
        store
            .reseal(a.id, twilio_credentials(), new.clone())
            .await
            .unwrap()
    );
    assert!(
        !store
            .reseal(a.id, twilio_credentials(), new.clone())
            .await
            .unwrap(),
        "already replaced"
    );
    let (_, stored) = store
        .find_connection_credentials(acme.org_id, a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, new);
    let left: Vec<_> = store
        .sealed_with_other_keys("k2", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(left, vec![b.id]);
    store
        .delete_connection(globex.org_id, b.id, at(3), None)
        .await
        .unwrap();
    assert!(
        !store.reseal(b.id, twilio_credentials(), new).await.unwrap(),
        "deleted"
    );
}

/// Start-up key check: one sealed credential per key id, of every org,
/// and nothing for an empty store.
pub async fn connections_sealed_sample_per_key<S: TestStore>(store: Arc<S>) {
    assert!(store.sealed_sample_per_key().await.unwrap().is_empty());
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let a = connection(&*store, acme.org_id, "a", at(1)).await;
    connection(&*store, globex.org_id, "b", at(2)).await;
    let c = connection(&*store, globex.org_id, "c", at(3)).await;
    let k2 = crate::fixtures::sealed("k2", b"under-k2");
    assert!(
        store
            .reseal(a.id, twilio_credentials(), k2.clone())
            .await
            .unwrap()
    );
    let k3 = crate::fixtures::sealed("k3", b"under-k3");
    assert!(
        store
            .reseal(c.id, twilio_credentials(), k3.clone())
            .await
            .unwrap()
    );
    let mut samples = store.sealed_sample_per_key().await.unwrap();
    samples.sort_by(|x, y| x.key_id.cmp(&y.key_id));
    assert_eq!(samples, vec![twilio_credentials(), k2, k3]);
}
