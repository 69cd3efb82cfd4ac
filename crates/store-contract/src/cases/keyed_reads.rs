//! Reads in the name of an API key: `find_number_for_key` and
//! `list_numbers_for_key` authenticate exactly as `authenticate` does and
//! read exactly what the org-scoped reads return for the key's org.

use std::sync::Arc;

use thunderphone_domain::{Role, Status};
use thunderphone_ports::{Authenticated, NumberFilter, PageRequest};

use crate::TestStore;
use crate::fixtures::{activate, at, claim, limit, missing_number, tenant};

/// The key's principal comes with its org's number, and with `None` for a
/// number of another org, a missing one or a deleted one; an unknown or
/// revoked key reads nothing at all.
pub async fn keyed_find_authenticates_and_scopes<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let ours = claim(&*store, acme.org_id, "415", at(1)).await;
    let theirs = claim(&*store, globex.org_id, "415", at(2)).await;

    let read = store.find_number_for_key(&acme.key_hash, ours.id()).await;
    assert_eq!(
        read.unwrap(),
        Some(Authenticated {
            principal: acme.principal(),
            value: Some(ours.clone()),
        })
    );
    for other in [theirs.id(), missing_number()] {
        let read = store.find_number_for_key(&acme.key_hash, other).await;
        assert_eq!(
            read.unwrap(),
            Some(Authenticated {
                principal: acme.principal(),
                value: None,
            }),
            "{other:?} is not acme's"
        );
    }
    let read = store
        .find_number_for_key(&globex.key_hash, theirs.id())
        .await;
    assert_eq!(read.unwrap().and_then(|r| r.value), Some(theirs));

    assert_eq!(
        store.find_number_for_key("hash-nobody", ours.id()).await,
        Ok(None)
    );

    store
        .delete_number(acme.org_id, ours.id(), None, at(9_000), None)
        .await
        .unwrap();
    let read = store.find_number_for_key(&acme.key_hash, ours.id()).await;
    assert_eq!(read.unwrap().map(|r| r.value), Some(None), "deleted");

    store.revoke_api_key(acme.api_key_id, at(3)).await.unwrap();
    let again = claim(&*store, acme.org_id, "415", at(4)).await;
    assert_eq!(
        store.find_number_for_key(&acme.key_hash, again.id()).await,
        Ok(None),
        "a revoked key reads nothing"
    );
}

/// A listed page is the org-scoped page of the key's org, filters and
/// cursor included; the principal carries the current role; an unknown or
/// revoked key lists nothing.
pub async fn keyed_list_authenticates_and_scopes<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    for second in 1..=5 {
        let number = claim(&*store, acme.org_id, "415", at(second)).await;
        if second % 2 == 1 {
            activate(&*store, &number, at(second)).await;
        }
    }
    claim(&*store, globex.org_id, "212", at(6)).await;

    let active = NumberFilter {
        status: Some(Status::Active),
        ..NumberFilter::default()
    };
    for filter in [NumberFilter::default(), active] {
        let first = PageRequest::first(limit(2));
        let keyed = store
            .list_numbers_for_key(&acme.key_hash, &filter, first)
            .await
            .unwrap()
            .expect("a live key");
        assert_eq!(keyed.principal, acme.principal());
        let scoped = store.list_numbers(acme.org_id, &filter, first).await;
        assert_eq!(keyed.value, scoped.unwrap(), "{filter:?}");

        let Some(next) = keyed.value.next else {
            panic!("acme has more than 2 numbers matching {filter:?}")
        };
        let after = PageRequest {
            after: Some(next),
            ..first
        };
        let keyed = store
            .list_numbers_for_key(&acme.key_hash, &filter, after)
            .await
            .unwrap()
            .expect("a live key");
        let scoped = store.list_numbers(acme.org_id, &filter, after).await;
        assert_eq!(keyed.value, scoped.unwrap(), "second page, {filter:?}");
    }

    let theirs = store
        .list_numbers_for_key(
            &globex.key_hash,
            &NumberFilter::default(),
            PageRequest::first(limit(10)),
        )
        .await
        .unwrap()
        .expect("a live key");
    assert_eq!(theirs.value.items.len(), 1);
    assert!(
        theirs
            .value
            .items
            .iter()
            .all(|n| n.org_id() == globex.org_id)
    );

    store
        .set_membership(acme.org_id, acme.user_id, Role::Member)
        .await
        .unwrap();
    let read = store
        .list_numbers_for_key(
            &acme.key_hash,
            &NumberFilter::default(),
            PageRequest::first(limit(1)),
        )
        .await
        .unwrap();
    assert_eq!(read.map(|r| r.principal.role), Some(Role::Member));

    store.revoke_api_key(acme.api_key_id, at(7)).await.unwrap();
    for hash in [acme.key_hash.as_str(), "hash-nobody"] {
        let read = store
            .list_numbers_for_key(
                hash,
                &NumberFilter::default(),
                PageRequest::first(limit(10)),
            )
            .await;
        assert_eq!(read, Ok(None), "{hash}");
    }
}

/// Many keyed finds in flight at once (a store may answer them together)
/// each get exactly the answer they would get alone: their own key's
/// principal and only their own org's numbers.
pub async fn keyed_finds_in_flight_together_each_get_their_own_answer<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let initech = tenant(&*store, "initech").await;
    let mut held = Vec::new();
    for (n, tenant) in [&acme, &globex, &initech].into_iter().enumerate() {
        for k in 0..3 {
            let number = claim(&*store, tenant.org_id, "415", at(n as i64 * 10 + k)).await;
            held.push((tenant.org_id, number));
        }
    }
    store
        .revoke_api_key(initech.api_key_id, at(100))
        .await
        .unwrap();

    let keys = [&acme, &globex, &initech];
    let mut asked = Vec::new();
    for _round in 0..4 {
        for key in keys {
            for (_, number) in &held {
                asked.push((key.key_hash.clone(), number.id()));
            }
            asked.push((key.key_hash.clone(), missing_number()));
        }
        asked.push(("hash-nobody".to_owned(), held[0].1.id()));
    }
    let answers = futures::future::join_all(
        asked
            .iter()
            .map(|(hash, id)| store.find_number_for_key(hash, *id)),
    )
    .await;

    for ((hash, id), answer) in asked.iter().zip(answers) {
        let expected = [&acme, &globex]
            .into_iter()
            .find(|tenant| &tenant.key_hash == hash)
            .map(|tenant| Authenticated {
                principal: tenant.principal(),
                value: held
                    .iter()
                    .find(|(org, number)| *org == tenant.org_id && number.id() == *id)
                    .map(|(_, number)| number.clone()),
            });
        assert_eq!(answer.unwrap(), expected, "{hash} asking for {id:?}");
    }
}
