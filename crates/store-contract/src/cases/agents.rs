//! Agents: CRUD, pagination, org scoping and the in-use check.

use std::sync::Arc;

use thunderphone_domain::Agent;
use thunderphone_ports::{PageRequest, RepoError};

use crate::TestStore;
use crate::fixtures::{
    MAX_PAGES, TOO_MANY_PAGES, activate, advance, agent, at, change, check_page, claim, cursor,
    limit, missing_agent, name, tenant,
};

/// Every agent of `org`, walking pages of `size`.
async fn walk_agents<S: TestStore>(
    store: &S,
    org: thunderphone_domain::OrgId,
    size: i64,
) -> Vec<Agent> {
    let mut all = Vec::new();
    let mut request = PageRequest::first(limit(size));
    for _ in 0..MAX_PAGES {
        let page = store.list_agents(org, request).await.unwrap();
        check_page(&page, size, |a| cursor(a.created_at, a.id.get()));
        all.extend(page.items);
        match page.next {
            Some(next) => advance(&mut request.after, next),
            None => return all,
        }
    }
    panic!("{}", TOO_MANY_PAGES)
}

/// Agents are created with their fields, found only in their org, and
/// renamed only there.
pub async fn agents_create_find_rename<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let created = store
        .create_agent(acme.org_id, name("Front desk"), at(3))
        .await
        .unwrap();
    assert_eq!(created.org_id, acme.org_id);
    assert_eq!(created.name.as_str(), "Front desk");
    assert_eq!(created.created_at, at(3));
    let other = agent(&*store, acme.org_id, "Sales", at(4)).await;
    assert_ne!(other.id, created.id);
    assert_eq!(
        store.find_agent(acme.org_id, created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        store.find_agent(globex.org_id, created.id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_agent(acme.org_id, missing_agent())
            .await
            .unwrap(),
        None
    );

    // Several at once: only the org's, whatever else is asked for.
    let mut found = store
        .find_agents(
            acme.org_id,
            vec![other.id, created.id, missing_agent(), created.id],
        )
        .await
        .unwrap();
    found.sort_by_key(|a| a.id);
    found.dedup_by_key(|a| a.id);
    assert_eq!(found, vec![created.clone(), other.clone()]);
    assert_eq!(
        store
            .find_agents(globex.org_id, vec![created.id])
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        store.find_agents(acme.org_id, vec![]).await.unwrap(),
        vec![]
    );

    let renamed = store
        .rename_agent(acme.org_id, created.id, name("Reception"))
        .await
        .unwrap();
    assert_eq!(
        renamed,
        Agent {
            name: name("Reception"),
            ..created.clone()
        }
    );
    assert_eq!(
        store.find_agent(acme.org_id, created.id).await.unwrap(),
        Some(renamed)
    );
    assert_eq!(
        store
            .rename_agent(globex.org_id, created.id, name("Stolen"))
            .await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        store
            .rename_agent(acme.org_id, missing_agent(), name("Ghost"))
            .await,
        Err(RepoError::NotFound)
    );
}

/// Agents list newest first (ties by id desc), only the org's, and pages
/// walk all of them once.
pub async fn agents_list_newest_first_paginated<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let mut created = Vec::new();
    for i in 0..11 {
        created.push(agent(&*store, acme.org_id, &format!("agent {i}"), at(i / 3)).await);
        agent(&*store, globex.org_id, &format!("theirs {i}"), at(i)).await;
    }
    created.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)));
    for size in [1, 4, 11, 50] {
        assert_eq!(
            walk_agents(&*store, acme.org_id, size).await,
            created,
            "page size {size}"
        );
    }
    let empty = tenant(&*store, "empty").await;
    assert!(walk_agents(&*store, empty.org_id, 5).await.is_empty());
}

/// Deleting removes the agent from its org only; a second delete (or one
/// from another org) is `NotFound`.
pub async fn agents_delete<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let gone = agent(&*store, acme.org_id, "gone", at(1)).await;
    let kept = agent(&*store, acme.org_id, "kept", at(2)).await;
    assert_eq!(
        store.delete_agent(globex.org_id, gone.id).await,
        Err(RepoError::NotFound)
    );
    store.delete_agent(acme.org_id, gone.id).await.unwrap();
    assert_eq!(store.find_agent(acme.org_id, gone.id).await.unwrap(), None);
    assert_eq!(
        store.delete_agent(acme.org_id, gone.id).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(walk_agents(&*store, acme.org_id, 10).await, vec![kept]);
}

/// An agent assigned (inbound or outbound) to a not-deleted number cannot
/// be deleted; once unassigned, or once the number is deleted, it can.
pub async fn agents_in_use_cannot_be_deleted<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let inbound = agent(&*store, acme.org_id, "in", at(0)).await;
    let outbound = agent(&*store, acme.org_id, "out", at(0)).await;
    let first = claim(&*store, acme.org_id, "415", at(1)).await;
    let first = activate(&*store, &first, at(2)).await;
    let first = change(&*store, &first, Some(Some(inbound.id)), None, None, at(3)).await;
    let second = claim(&*store, acme.org_id, "415", at(4)).await;
    let second = change(&*store, &second, None, Some(Some(outbound.id)), None, at(5)).await;

    assert_eq!(
        store.delete_agent(acme.org_id, inbound.id).await,
        Err(RepoError::AgentInUse)
    );
    assert_eq!(
        store.delete_agent(acme.org_id, outbound.id).await,
        Err(RepoError::AgentInUse)
    );
    assert!(
        store
            .find_agent(acme.org_id, inbound.id)
            .await
            .unwrap()
            .is_some()
    );

    change(&*store, &first, Some(None), None, None, at(6)).await;
    store
        .delete_agent(acme.org_id, inbound.id)
        .await
        .expect("no longer assigned");
    store
        .delete_number(acme.org_id, second.id(), None, at(9_000), None)
        .await
        .unwrap();
    store
        .delete_agent(acme.org_id, outbound.id)
        .await
        .expect("its number is deleted");
}
