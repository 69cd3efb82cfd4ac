//! The demo pool table under concurrency, and the pool rows kept in step
//! with the numbers by every write.

use std::collections::HashSet;
use std::sync::Arc;

use thunderphone_domain::{AreaCode, E164, PhoneNumber};
use thunderphone_ports::{NumberFilter, NumberRepository};
use thunderphone_store_contract::fixtures::{
    area, at, claim, connection, demo, import, pool, tenant, walk_numbers,
};

use crate::support::{count, execute, fresh};

/// Pool rows whose `held` disagrees with the live numbers.
const OUT_OF_STEP: &str = "\
    SELECT count(*) AS n FROM demo_pool d \
    WHERE d.held <> EXISTS (SELECT 1 FROM phone_numbers p WHERE p.deleted_at IS NULL \
        AND p.number = '+1' || d.area_code || '55501' || lpad(d.line::text, 2, '0'))";

fn codes(list: &[&str]) -> Vec<AreaCode> {
    list.iter().map(|c| area(c)).collect()
}

/// 200 claims racing from many tasks, half for one area code and half for
/// a list that starts with it: every number is different, the area code
/// ends up full, the "any" claims all get a number, and the pool rows
/// agree with the numbers. A deleted number's row is free again and the
/// next claim of its area code gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_across_tiers_get_distinct_numbers() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let any = Arc::new(codes(&["415", "212", "646", "718"]));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = Arc::clone(&store);
            let any = Arc::clone(&any);
            tokio::spawn(async move {
                let wanted = if i % 2 == 0 { &any[..] } else { &any[..1] };
                let claimed = store
                    .claim_pool_number(acme.org_id, wanted, at(i), None)
                    .await
                    .expect("claim");
                (i % 2 == 0, claimed)
            })
        })
        .collect();
    let mut numbers = HashSet::new();
    let mut none = 0;
    for task in futures::future::join_all(tasks).await {
        match task.expect("task") {
            (_, Some(number)) => assert!(numbers.insert(number.number().clone()), "taken twice"),
            (true, None) => panic!("the list has free numbers"),
            (false, None) => none += 1,
        }
    }
    assert_eq!(numbers.len() + none, 200);
    let whole: HashSet<E164> = area("415").demo_pool_numbers().collect();
    assert!(whole.is_subset(&numbers), "415 is full");
    assert_eq!(count(&url, OUT_OF_STEP), 0);
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM demo_pool WHERE held"),
        i64::try_from(200 - none).unwrap()
    );

    let line = pool("415", 37);
    let filter = NumberFilter {
        area_code: Some(area("415")),
        ..NumberFilter::default()
    };
    let held: Vec<PhoneNumber> = walk_numbers(&*store, acme.org_id, &filter, 200).await;
    let doomed = held.iter().find(|n| n.number() == &line).expect("held");
    store
        .delete_number(acme.org_id, doomed.id(), None, at(9_000), None)
        .await
        .expect("delete");
    assert_eq!(
        count(
            &url,
            "SELECT count(*) AS n FROM demo_pool WHERE area_code = '415' AND line = 37 AND NOT held"
        ),
        1,
        "the row is free again"
    );
    assert_eq!(
        claim(&*store, acme.org_id, "415", at(300)).await.number(),
        &line
    );
    assert_eq!(count(&url, OUT_OF_STEP), 0);
}

/// Numbers held before the pool table existed (or written around the
/// store) are seen when an area code's rows are created; a row that is
/// free all the same is marked held when its claim finds the number taken.
#[tokio::test]
async fn rows_follow_numbers_written_around_the_store() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let insert = |number: &str| {
        format!(
            "INSERT INTO phone_numbers (org_id, number, source, status, voip_verification_status, \
             version, created_at, updated_at) VALUES ({}, '{number}', 'demo', 'active', \
             'unverified', 1, now(), now())",
            acme.org_id
        )
    };
    execute(&url, &insert(pool("415", 0).as_str()));
    let first = claim(&*store, acme.org_id, "415", at(1)).await;
    assert_eq!(first.number(), &pool("415", 1), "line 0 was held already");

    execute(&url, &insert(pool("415", 2).as_str()));
    let next = claim(&*store, acme.org_id, "415", at(2)).await;
    assert_eq!(next.number(), &pool("415", 3), "line 2 is passed over");
    assert_eq!(count(&url, OUT_OF_STEP), 0, "and its row is held now");
}

/// The "any" tier seeds its area codes a few at a time: a claim whose
/// first area codes are full reaches the later ones, in list order.
#[tokio::test]
async fn long_lists_reach_their_later_area_codes() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    // Area codes whose numbers are valid (the pool skips the others).
    let list: Vec<String> = (200..1000)
        .map(|c| c.to_string())
        .filter(|c| area(c).demo_pool_numbers().next().is_some())
        .take(100)
        .collect();
    let list: Vec<&str> = list.iter().map(String::as_str).collect();
    let full: Vec<E164> = list[..20]
        .iter()
        .flat_map(|c| area(c).demo_pool_numbers())
        .collect();
    demo(&*store, acme.org_id, &full, at(1)).await;
    let got = store
        .claim_pool_number(acme.org_id, &codes(&list), at(2), None)
        .await
        .expect("claim")
        .expect("the 21st area code is free");
    assert_eq!(got.number(), &pool(list[20], 0));
    assert_eq!(count(&url, OUT_OF_STEP), 0);
    assert_eq!(
        count(&url, "SELECT count(DISTINCT area_code) AS n FROM demo_pool"),
        32,
        "8, then 16, then 32 area codes were seeded; not the tail of the list"
    );
}

/// Imports and `claim_first_free` hold pool rows too: a claim never hands
/// out a number they created, and the rows stay in step, with both kinds
/// of claim racing for the same lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_and_carrier_claims_hold_pool_rows() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(0)).await;
    import(
        &*store,
        acme.org_id,
        trunk.id,
        &[pool("305", 0), pool("305", 1)],
        at(1),
    )
    .await;
    let carrier = store
        .claim_first_free(acme.org_id, &[pool("305", 1), pool("305", 2)], at(2), None)
        .await
        .expect("claim_first_free")
        .expect("line 2 is free");
    assert_eq!(carrier.number(), &pool("305", 2));
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                if i % 3 == 0 {
                    // Lines the pool claims reach too (they start at 3).
                    let candidates: Vec<E164> = (15..35).map(|l| pool("305", l)).collect();
                    store
                        .claim_first_free(acme.org_id, &candidates, at(3), None)
                        .await
                } else {
                    store
                        .claim_pool_number(acme.org_id, &[area("305")], at(3), None)
                        .await
                }
            })
        })
        .collect();
    let mut numbers: HashSet<E164> = [0, 1, 2].map(|l| pool("305", l)).into();
    for task in futures::future::join_all(tasks).await {
        let number = task.expect("task").expect("claim").expect("a free number");
        assert!(numbers.insert(number.number().clone()), "taken twice");
    }
    assert_eq!(numbers.len(), 33);
    assert_eq!(count(&url, OUT_OF_STEP), 0);
}
