//! `list_numbers`: order, filters and keyset pagination.

use std::sync::Arc;

use thunderphone_domain::{E164, PhoneNumber, Source, Status};
use thunderphone_ports::{NumberFilter, PageRequest};

use crate::TestStore;
use crate::fixtures::{
    MAX_PAGES, TOO_MANY_PAGES, activate, advance, agent, area, at, change, check_page, claim,
    connection, cursor, demo, ids, import, limit, newest_first, pool, save, tenant, verify,
    walk_numbers,
};

/// `n` distinct numbers spread over a few area codes.
fn numbers(n: u8) -> Vec<E164> {
    (0..n)
        .map(|i| pool(["212", "646", "718"][usize::from(i % 3)], i))
        .collect()
}

/// Newest first by `created_at`; equal timestamps by id, highest first.
pub async fn list_numbers_newest_first_ties_by_id_desc<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let mut all = demo(
        &*store,
        acme.org_id,
        &[pool("212", 1), pool("212", 2), pool("212", 3)],
        at(10),
    )
    .await;
    all.extend(demo(&*store, acme.org_id, &[pool("212", 4)], at(5)).await);
    all.extend(
        demo(
            &*store,
            acme.org_id,
            &[pool("212", 5), pool("212", 6)],
            at(20),
        )
        .await,
    );
    all.extend(demo(&*store, acme.org_id, &[pool("212", 7)], at(10)).await);
    let page = store
        .list_numbers(
            acme.org_id,
            &NumberFilter::default(),
            PageRequest::first(limit(50)),
        )
        .await
        .unwrap();
    assert_eq!(page.next, None);
    let expected = [5, 4, 6, 2, 1, 0, 3].map(|i| all[i].id());
    assert_eq!(ids(&page.items), expected);
    assert_eq!(ids(&page.items), newest_first(&all));
    assert_eq!(page.items[0], all[5], "items are the stored numbers");
}

/// Each filter on its own and combined; numbers of other orgs never match.
pub async fn list_numbers_applies_each_filter<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let a1 = agent(&*store, acme.org_id, "a1", at(0)).await;
    let a2 = agent(&*store, acme.org_id, "a2", at(0)).await;
    let c1 = connection(&*store, acme.org_id, "c1", at(0)).await;
    let c2 = connection(&*store, acme.org_id, "c2", at(0)).await;

    let d1 = claim(&*store, acme.org_id, "415", at(1)).await;
    let d2 = claim(&*store, acme.org_id, "415", at(2)).await;
    let d2 = activate(&*store, &d2, at(3)).await;
    let d3 = claim(&*store, acme.org_id, "415", at(4)).await;
    let d3 = activate(&*store, &d3, at(5)).await;
    let d3 = change(&*store, &d3, Some(Some(a1.id)), None, None, at(6)).await;
    let d4 = claim(&*store, acme.org_id, "415", at(7)).await;
    let d4 = activate(&*store, &d4, at(8)).await;
    let d4 = change(
        &*store,
        &d4,
        None,
        Some(Some(a2.id)),
        Some(Status::Released),
        at(9),
    )
    .await;
    let v1 = import(&*store, acme.org_id, c1.id, &[pool("212", 1)], at(10))
        .await
        .remove(0);
    let v2 = import(&*store, acme.org_id, c2.id, &[pool("646", 1)], at(11))
        .await
        .remove(0);
    let v2 = verify(&*store, &v2, at(12)).await;
    // Globex holds numbers that would match every filter but the org.
    let g1 = claim(&*store, globex.org_id, "415", at(13)).await;
    activate(&*store, &g1, at(14)).await;
    let gc = connection(&*store, globex.org_id, "gc", at(0)).await;
    import(&*store, globex.org_id, gc.id, &[pool("212", 2)], at(15)).await;

    let cases: Vec<(NumberFilter, Vec<&PhoneNumber>)> = vec![
        (NumberFilter::default(), vec![&d1, &d2, &d3, &d4, &v1, &v2]),
        (
            NumberFilter {
                status: Some(Status::Active),
                ..Default::default()
            },
            vec![&d2, &d3, &v2],
        ),
        (
            NumberFilter {
                status: Some(Status::Released),
                ..Default::default()
            },
            vec![&d4],
        ),
        (
            NumberFilter {
                status: Some(Status::Failed),
                ..Default::default()
            },
            vec![],
        ),
        (
            NumberFilter {
                source: Some(Source::Voip),
                ..Default::default()
            },
            vec![&v1, &v2],
        ),
        (
            NumberFilter {
                source: Some(Source::Demo),
                ..Default::default()
            },
            vec![&d1, &d2, &d3, &d4],
        ),
        (
            NumberFilter {
                inbound_agent_id: Some(a1.id),
                ..Default::default()
            },
            vec![&d3],
        ),
        (
            NumberFilter {
                inbound_agent_id: Some(a2.id),
                ..Default::default()
            },
            vec![],
        ),
        (
            NumberFilter {
                outbound_agent_id: Some(a2.id),
                ..Default::default()
            },
            vec![&d4],
        ),
        (
            NumberFilter {
                voip_connection_id: Some(c1.id),
                ..Default::default()
            },
            vec![&v1],
        ),
        (
            NumberFilter {
                voip_connection_id: Some(c2.id),
                ..Default::default()
            },
            vec![&v2],
        ),
        (
            NumberFilter {
                area_code: Some(area("212")),
                ..Default::default()
            },
            vec![&v1],
        ),
        (
            NumberFilter {
                area_code: Some(area("415")),
                ..Default::default()
            },
            vec![&d1, &d2, &d3, &d4],
        ),
        (
            NumberFilter {
                source: Some(Source::Demo),
                status: Some(Status::Provisioning),
                ..Default::default()
            },
            vec![&d1],
        ),
        (
            NumberFilter {
                source: Some(Source::Voip),
                status: Some(Status::Active),
                ..Default::default()
            },
            vec![&v2],
        ),
    ];
    for (filter, expected) in cases {
        let expected: Vec<PhoneNumber> = expected.into_iter().cloned().collect();
        let listed = walk_numbers(&*store, acme.org_id, &filter, 50).await;
        assert_eq!(
            listed,
            {
                let order = newest_first(&expected);
                order
                    .iter()
                    .map(|id| expected.iter().find(|n| n.id() == *id).cloned().unwrap())
                    .collect::<Vec<_>>()
            },
            "filter {filter:?}"
        );
    }
}

/// Walking the pages (any size) yields every number exactly once, in list
/// order; a page is never larger than its limit and only the last has no
/// next cursor (also when the count is a multiple of the limit).
pub async fn list_numbers_pages_walk_every_item_once<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let mut all = Vec::new();
    for (i, number) in numbers(23).into_iter().enumerate() {
        let seconds = i64::try_from(i / 3).unwrap();
        all.extend(demo(&*store, acme.org_id, &[number], at(seconds)).await);
    }
    let expected = newest_first(&all);
    for size in [1, 2, 5, 7, 22, 23, 24, 200] {
        let walked = walk_numbers(&*store, acme.org_id, &NumberFilter::default(), size).await;
        assert_eq!(ids(&walked), expected, "page size {size}");
    }
    let first = store
        .list_numbers(
            acme.org_id,
            &NumberFilter::default(),
            PageRequest::first(limit(23)),
        )
        .await
        .unwrap();
    assert_eq!(first.items.len(), 23);
    assert_eq!(first.next, None, "no next page when exactly full");
    let after_last = PageRequest {
        limit: limit(5),
        after: first
            .items
            .last()
            .map(|n| cursor(n.created_at(), n.id().get())),
    };
    let empty = store
        .list_numbers(acme.org_id, &NumberFilter::default(), after_last)
        .await
        .unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next, None);
}

/// Numbers created while a client walks the pages (newer, or as old as
/// the last item seen) do not shift the walk: every number that existed
/// at the start is seen exactly once.
pub async fn list_numbers_pages_are_stable_under_inserts<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let mut all = Vec::new();
    for (i, number) in numbers(20).into_iter().enumerate() {
        let seconds = i64::try_from(i / 2).unwrap();
        all.extend(demo(&*store, acme.org_id, &[number], at(seconds)).await);
    }
    let expected = newest_first(&all);
    let mut walked = Vec::new();
    let mut request = PageRequest::first(limit(6));
    let mut fresh = 0u8;
    for pages in 0.. {
        assert!(pages < MAX_PAGES, "{TOO_MANY_PAGES}");
        let page = store
            .list_numbers(acme.org_id, &NumberFilter::default(), request)
            .await
            .unwrap();
        check_page(&page, 6, |n| cursor(n.created_at(), n.id().get()));
        let last = page.items.last().map(PhoneNumber::created_at);
        walked.extend(page.items);
        let Some(next) = page.next else { break };
        advance(&mut request.after, next);
        // A newer number, and one as old as the last item seen.
        demo(
            &*store,
            acme.org_id,
            &[pool("917", fresh)],
            at(1000 + i64::from(fresh)),
        )
        .await;
        demo(
            &*store,
            acme.org_id,
            &[pool("917", fresh + 1)],
            last.unwrap(),
        )
        .await;
        fresh += 2;
    }
    assert!(fresh > 0, "pages were walked");
    assert_eq!(ids(&walked), expected);
}

/// Pages of a filtered list hold only matching numbers and still walk all
/// of them once.
pub async fn list_numbers_pages_with_filter<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let mut active = Vec::new();
    for (i, number) in numbers(30).into_iter().enumerate() {
        let seconds = i64::try_from(i / 4).unwrap();
        let created = demo(&*store, acme.org_id, &[number], at(seconds))
            .await
            .remove(0);
        if i % 3 == 0 {
            active.push(activate(&*store, &created, at(100)).await);
        }
    }
    let filter = NumberFilter {
        status: Some(Status::Active),
        ..Default::default()
    };
    for size in [1, 3, 4, 10] {
        let walked = walk_numbers(&*store, acme.org_id, &filter, size).await;
        assert_eq!(ids(&walked), newest_first(&active), "page size {size}");
        assert!(walked.iter().all(|n| n.status() == Status::Active));
    }
}

/// Deleted numbers and other orgs' numbers are not listed.
pub async fn list_numbers_excludes_deleted_and_other_orgs<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let kept = claim(&*store, acme.org_id, "415", at(1)).await;
    let gone = claim(&*store, acme.org_id, "415", at(2)).await;
    let theirs = claim(&*store, globex.org_id, "415", at(3)).await;
    store
        .delete_number(acme.org_id, gone.id(), None, at(9_000), None)
        .await
        .unwrap();
    let ours = walk_numbers(&*store, acme.org_id, &NumberFilter::default(), 10).await;
    assert_eq!(ours, vec![kept]);
    let listed = walk_numbers(&*store, globex.org_id, &NumberFilter::default(), 10).await;
    assert_eq!(listed, vec![theirs]);
}

/// A transferred number leaves the old org's list and joins the new org's,
/// in place by its original `created_at`; finds follow it too.
pub async fn list_numbers_follow_transfers<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let older = claim(&*store, globex.org_id, "415", at(1)).await;
    let moving = claim(&*store, acme.org_id, "415", at(2)).await;
    let newer = claim(&*store, globex.org_id, "415", at(3)).await;
    let staying = claim(&*store, acme.org_id, "415", at(4)).await;
    let moving = activate(&*store, &moving, at(5)).await;
    let moved = moving.transfer(globex.org_id, None, at(6)).unwrap();
    let moved = save(&*store, &moving, moved, None).await;

    let all = NumberFilter::default();
    assert_eq!(
        walk_numbers(&*store, acme.org_id, &all, 1).await,
        vec![staying]
    );
    assert_eq!(
        ids(&walk_numbers(&*store, globex.org_id, &all, 1).await),
        vec![newer.id(), moved.id(), older.id()]
    );
    let active = NumberFilter {
        status: Some(Status::Active),
        ..Default::default()
    };
    assert_eq!(
        walk_numbers(&*store, globex.org_id, &active, 5).await,
        vec![moved.clone()]
    );
    assert_eq!(
        store.find_number(acme.org_id, moved.id()).await.unwrap(),
        None
    );
    assert_eq!(
        store.find_number(globex.org_id, moved.id()).await.unwrap(),
        Some(moved)
    );
}
