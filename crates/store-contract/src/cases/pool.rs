//! The demo pool: `claim_pool_number`.

use std::collections::HashSet;
use std::sync::Arc;

use thunderphone_domain::{ChangeKind, Source, Status, VerificationStatus, Version};
use thunderphone_ports::PageRequest;

use crate::TestStore;
use crate::fixtures::{area, at, claim, connection, demo, import, limit, pool, tenant};

/// The first claim takes line 0100 of the first listed area code, as a
/// `provisioning` demo number at version 1 with a `created` snapshot; the
/// next claim takes the next line.
pub async fn pool_claims_lowest_free_line_of_first_area_code<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let codes = [area("415"), area("212")];
    let first = store
        .claim_pool_number(acme.org_id, &codes, at(10), Some(acme.actor()))
        .await
        .unwrap()
        .expect("a free number");
    assert_eq!(first.number(), &pool("415", 0));
    assert_eq!(first.org_id(), acme.org_id);
    assert_eq!(first.source(), Source::Demo);
    assert_eq!(first.status(), Status::Provisioning);
    assert_eq!(first.version(), Version::FIRST);
    assert_eq!(first.created_at(), at(10));
    assert_eq!(first.updated_at(), at(10));
    assert_eq!(first.inbound_agent_id(), None);
    assert_eq!(first.outbound_agent_id(), None);
    assert_eq!(first.voip_connection_id(), None);
    assert_eq!(
        first.voip_verification_status(),
        VerificationStatus::Unverified
    );
    assert_eq!(
        store.find_number(acme.org_id, first.id()).await.unwrap(),
        Some(first.clone())
    );
    let versions = store
        .list_versions(acme.org_id, first.id(), PageRequest::first(limit(10)))
        .await
        .unwrap();
    assert_eq!(
        versions.items,
        vec![first.snapshot(ChangeKind::Created, Some(acme.actor()))]
    );

    let second = claim(&*store, acme.org_id, "415", at(11)).await;
    assert_eq!(second.number(), &pool("415", 1));
    assert_ne!(second.id(), first.id());

    let reversed = store
        .claim_pool_number(acme.org_id, &[area("212"), area("415")], at(12), None)
        .await
        .unwrap()
        .expect("a free number");
    assert_eq!(reversed.number(), &pool("212", 0), "listed order wins");
}

/// A full area code is skipped for the next one in the list; holes in an
/// area code are filled lowest line first, whichever org holds the rest.
pub async fn pool_falls_through_to_next_area_code<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let lines: Vec<_> = (0..100)
        .filter(|l| *l != 42)
        .map(|l| pool("415", l))
        .collect();
    demo(&*store, globex.org_id, &lines, at(1)).await;

    let codes = [area("415"), area("212")];
    let hole = store
        .claim_pool_number(acme.org_id, &codes, at(2), None)
        .await
        .unwrap()
        .expect("line 42 is free");
    assert_eq!(hole.number(), &pool("415", 42));
    let next = store
        .claim_pool_number(acme.org_id, &codes, at(3), None)
        .await
        .unwrap()
        .expect("212 has free lines");
    assert_eq!(next.number(), &pool("212", 0));
}

/// Area codes in ascending order (what a request without preference
/// passes) keep the same promise: the first listed code with a free line,
/// its lowest free line; an unlisted code is never used, even one whose
/// pool rows exist and sort first.
pub async fn pool_ascending_codes_keep_the_order<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let unlisted = store
        .claim_pool_number(acme.org_id, &[area("201")], at(1), None)
        .await
        .unwrap()
        .expect("201 has free lines");
    assert_eq!(unlisted.number(), &pool("201", 0));
    let full: Vec<_> = (0..100).map(|l| pool("212", l)).collect();
    demo(&*store, globex.org_id, &full, at(1)).await;
    let holed: Vec<_> = (0..100)
        .filter(|l| *l != 42)
        .map(|l| pool("415", l))
        .collect();
    demo(&*store, globex.org_id, &holed, at(1)).await;

    let codes = [area("212"), area("415"), area("646")];
    let mut claimed = Vec::new();
    for second in 2..5 {
        let number = store
            .claim_pool_number(acme.org_id, &codes, at(second), None)
            .await
            .unwrap()
            .expect("646 has free lines");
        claimed.push(number.number().clone());
    }
    assert_eq!(
        claimed,
        vec![pool("415", 42), pool("646", 0), pool("646", 1)]
    );
}

/// Area codes libphonenumber does not know (274, 472) have no pool
/// numbers: their `555-01XX` numbers would not be valid numbers.
pub async fn pool_skips_area_codes_without_valid_numbers<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    for codes in [vec![area("274")], vec![area("274"), area("472")]] {
        let claimed = store
            .claim_pool_number(acme.org_id, &codes, at(1), None)
            .await
            .unwrap();
        assert_eq!(claimed, None, "{codes:?}");
    }
    let claimed = store
        .claim_pool_number(acme.org_id, &[area("472"), area("415")], at(2), None)
        .await
        .unwrap()
        .expect("415 has free lines");
    assert_eq!(claimed.number(), &pool("415", 0));
}

/// `Ok(None)` when every line of every listed area code is held (and for
/// an empty list); an unlisted area code is not used.
pub async fn pool_returns_none_when_exhausted<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    for code in ["415", "212"] {
        let lines: Vec<_> = (0..100).map(|l| pool(code, l)).collect();
        demo(&*store, acme.org_id, &lines, at(1)).await;
    }
    let codes = [area("415"), area("212")];
    assert_eq!(
        store
            .claim_pool_number(acme.org_id, &codes, at(2), None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .claim_pool_number(acme.org_id, &[], at(2), None)
            .await
            .unwrap(),
        None
    );
    let third = store
        .claim_pool_number(
            acme.org_id,
            &[area("415"), area("212"), area("646")],
            at(3),
            None,
        )
        .await
        .unwrap()
        .expect("646 is free");
    assert_eq!(third.number(), &pool("646", 0));
}

/// Deleting a number gives its line back to the pool; the next claim is a
/// new phone number (new id, version 1) for the same E.164 number.
pub async fn pool_deleted_number_is_free_again<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let first = claim(&*store, acme.org_id, "415", at(1)).await;
    let second = claim(&*store, acme.org_id, "415", at(2)).await;
    assert_eq!(second.number(), &pool("415", 1));
    store
        .delete_number(acme.org_id, first.id(), None, at(9_000), None)
        .await
        .unwrap();
    let again = claim(&*store, acme.org_id, "415", at(3)).await;
    assert_eq!(again.number(), &pool("415", 0));
    assert_ne!(again.id(), first.id());
    assert_eq!(again.version(), Version::FIRST);
    let next = claim(&*store, acme.org_id, "415", at(4)).await;
    assert_eq!(next.number(), &pool("415", 2));
}

/// A customer's VoIP number that happens to be in the pool range is held
/// like any other and never handed out.
pub async fn pool_skips_voip_numbers_in_pool_range<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let trunk = connection(&*store, globex.org_id, "trunk", at(1)).await;
    import(
        &*store,
        globex.org_id,
        trunk.id,
        &[pool("415", 0), pool("415", 2)],
        at(2),
    )
    .await;
    let first = claim(&*store, acme.org_id, "415", at(3)).await;
    assert_eq!(first.number(), &pool("415", 1));
    let second = claim(&*store, acme.org_id, "415", at(4)).await;
    assert_eq!(second.number(), &pool("415", 3));
}

/// 100 claims racing from many tasks in one area code get 100 different
/// numbers — the whole area code — and the next claim gets none.
pub async fn pool_concurrent_claims_get_distinct_numbers<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = Arc::clone(&store);
            let org = acme.org_id;
            tokio::spawn(async move {
                store
                    .claim_pool_number(org, &[area("415")], at(i), None)
                    .await
            })
        })
        .collect();
    let mut numbers = HashSet::new();
    let mut ids = HashSet::new();
    for result in futures::future::join_all(tasks).await {
        let claimed = result
            .expect("task")
            .expect("claim")
            .expect("a free number");
        assert!(numbers.insert(claimed.number().clone()), "taken twice");
        assert!(ids.insert(claimed.id()), "id reused");
    }
    let whole: HashSet<_> = area("415").demo_pool_numbers().collect();
    assert_eq!(numbers, whole);
    assert_eq!(
        store
            .claim_pool_number(acme.org_id, &[area("415")], at(200), None)
            .await
            .unwrap(),
        None
    );
}

/// `claim_first_free` takes the first candidate nobody holds (skipping
/// held ones of any org and source), creates it like a pool claim with its
/// activation job, and returns `None` when every candidate is held.
pub async fn pool_claim_first_free_skips_held_candidates<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let trunk = connection(&*store, globex.org_id, "trunk", at(1)).await;
    let carrier =
        |line: &str| thunderphone_domain::E164::parse(&format!("+1415555{line}")).unwrap();
    import(&*store, globex.org_id, trunk.id, &[carrier("0142")], at(1)).await;
    let taken = store
        .claim_first_free(globex.org_id, &[carrier("0143")], at(2), None)
        .await
        .unwrap()
        .expect("free");
    assert_eq!(taken.number(), &carrier("0143"));
    let candidates = [
        carrier("0142"),
        carrier("0143"),
        carrier("0144"),
        carrier("0145"),
    ];
    let got = store
        .claim_first_free(acme.org_id, &candidates, at(3), Some(acme.actor()))
        .await
        .unwrap()
        .expect("0144 is free");
    assert_eq!(got.number(), &carrier("0144"));
    assert_eq!(
        (got.org_id(), got.source(), got.status()),
        (acme.org_id, Source::Demo, Status::Provisioning)
    );
    let history = store
        .list_versions(acme.org_id, got.id(), PageRequest::first(limit(10)))
        .await
        .unwrap();
    assert_eq!(history.items.len(), 1);
    assert_eq!(history.items[0].change, ChangeKind::Created);
    let jobs = store.lease_due(at(10), at(20), 10).await.unwrap();
    let ids: HashSet<_> = jobs.iter().map(|j| j.number_id).collect();
    assert!(
        ids.contains(&got.id()) && ids.contains(&taken.id()),
        "{jobs:?}"
    );
    let none = store
        .claim_first_free(acme.org_id, &candidates[..3], at(4), None)
        .await
        .unwrap();
    assert_eq!(none, None);
}

/// Concurrent `claim_first_free` calls over the same candidates never get
/// the same number.
pub async fn pool_claim_first_free_concurrently_distinct<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let candidates: Vec<_> = (0..10)
        .map(|i| thunderphone_domain::E164::parse(&format!("+1212555{:04}", 1000 + i)).unwrap())
        .collect();
    let tasks = (0..15).map(|_| {
        let store = store.clone();
        let candidates = candidates.clone();
        tokio::spawn(async move {
            store
                .claim_first_free(acme.org_id, &candidates, at(1), None)
                .await
                .unwrap()
        })
    });
    let results = futures::future::join_all(tasks).await;
    let got: Vec<_> = results
        .into_iter()
        .filter_map(|r| r.unwrap())
        .map(|n| n.number().clone())
        .collect();
    assert_eq!(got.len(), 10);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 10);
}
