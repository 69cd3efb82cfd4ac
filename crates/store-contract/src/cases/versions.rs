//! `list_versions`: order, pagination and which org sees what.

use std::sync::Arc;

use thunderphone_domain::{ChangeKind, OrgId, PhoneNumberId, Status, Version, VersionSnapshot};
use thunderphone_ports::{PageRequest, RepoError};

use crate::TestStore;
use crate::fixtures::{
    MAX_PAGES, TOO_MANY_PAGES, activate, advance, agent, at, change, check_page, claim, limit,
    missing_number, save, tenant,
};

/// Every snapshot `org` sees, walking pages of `size`.
async fn walk_versions<S: TestStore>(
    store: &S,
    org: OrgId,
    id: PhoneNumberId,
    size: i64,
) -> Vec<VersionSnapshot> {
    let mut all = Vec::new();
    let mut request = PageRequest::first(limit(size));
    for _ in 0..MAX_PAGES {
        let page = store.list_versions(org, id, request).await.unwrap();
        check_page(&page, size, |s| s.version);
        all.extend(page.items);
        match page.next {
            Some(next) => advance(&mut request.after, next),
            None => return all,
        }
    }
    panic!("{}", TOO_MANY_PAGES)
}

fn versions(snapshots: &[VersionSnapshot]) -> Vec<i64> {
    snapshots.iter().map(|s| s.version.get()).collect()
}

/// Snapshots come newest first; pages of any size walk all of them once,
/// the cursor being the last version seen.
pub async fn list_versions_newest_first_paginated<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let a = agent(&*store, acme.org_id, "a", at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let mut expected = vec![number.snapshot(ChangeKind::Created, None)];
    let n = activate(&*store, &number, at(2)).await;
    expected.push(n.snapshot(ChangeKind::Activated, None));
    let n = change(&*store, &n, Some(Some(a.id)), None, None, at(3)).await;
    expected.push(n.snapshot(ChangeKind::Assigned, None));
    let n = change(&*store, &n, None, Some(Some(a.id)), None, at(4)).await;
    expected.push(n.snapshot(ChangeKind::Assigned, None));
    let n = change(&*store, &n, None, None, Some(Status::Released), at(5)).await;
    expected.push(n.snapshot(ChangeKind::StatusChanged, None));
    let n = change(&*store, &n, None, None, Some(Status::Active), at(6)).await;
    expected.push(n.snapshot(ChangeKind::StatusChanged, None));
    let n = change(&*store, &n, Some(None), None, None, at(7)).await;
    expected.push(n.snapshot(ChangeKind::Assigned, None));
    expected.reverse();

    for size in [1, 2, 3, 7, 8, 200] {
        let walked = walk_versions(&*store, acme.org_id, number.id(), size).await;
        assert_eq!(walked, expected, "page size {size}");
    }
    assert_eq!(versions(&expected), vec![7, 6, 5, 4, 3, 2, 1]);
    let after_first = PageRequest {
        limit: limit(10),
        after: Some(Version::FIRST),
    };
    let empty = store
        .list_versions(acme.org_id, number.id(), after_first)
        .await
        .unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next, None);
    let middle = PageRequest {
        limit: limit(2),
        after: Version::new(5),
    };
    let page = store
        .list_versions(acme.org_id, number.id(), middle)
        .await
        .unwrap();
    assert_eq!(versions(&page.items), vec![4, 3]);
    assert_eq!(page.next, Version::new(3));
}

/// After a transfer the new org sees the history from the transfer on and
/// the old org gets `NotFound`; an org that holds the number again sees
/// the snapshots of its own tenures only.
pub async fn list_versions_follow_the_holding_org<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let a = agent(&*store, acme.org_id, "a", at(0)).await;
    let g = agent(&*store, globex.org_id, "g", at(0)).await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let n = activate(&*store, &number, at(2)).await;
    let n = change(&*store, &n, Some(Some(a.id)), None, None, at(3)).await;
    let moved = n.transfer(globex.org_id, None, at(4)).unwrap();
    let n = save(&*store, &n, moved, Some(acme.actor())).await;
    assert_eq!(n.org_id(), globex.org_id);
    assert_eq!(n.inbound_agent_id(), None);

    assert_eq!(
        store
            .list_versions(acme.org_id, number.id(), PageRequest::first(limit(10)))
            .await,
        Err(RepoError::NotFound)
    );
    let n = change(&*store, &n, Some(Some(g.id)), None, None, at(5)).await;
    let seen = walk_versions(&*store, globex.org_id, number.id(), 1).await;
    assert_eq!(versions(&seen), vec![5, 4]);
    assert_eq!(seen[1].change, ChangeKind::Transferred);
    assert_eq!(seen[1].org_id, globex.org_id);
    assert_eq!(seen[1].changed_by, Some(acme.actor()));

    let back = n.transfer(acme.org_id, None, at(6)).unwrap();
    let n = save(&*store, &n, back, None).await;
    assert_eq!(n.version().get(), 6);
    assert_eq!(
        store
            .list_versions(globex.org_id, number.id(), PageRequest::first(limit(10)))
            .await,
        Err(RepoError::NotFound)
    );
    let seen = walk_versions(&*store, acme.org_id, number.id(), 2).await;
    assert_eq!(versions(&seen), vec![6, 3, 2, 1]);
    assert!(seen.iter().all(|s| s.org_id == acme.org_id));
}

/// Unknown numbers and numbers of other orgs are `NotFound`.
pub async fn list_versions_unknown_or_foreign_number_not_found<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    assert_eq!(
        store
            .list_versions(acme.org_id, missing_number(), PageRequest::first(limit(10)))
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        store
            .list_versions(globex.org_id, number.id(), PageRequest::first(limit(10)))
            .await,
        Err(RepoError::NotFound)
    );
}
