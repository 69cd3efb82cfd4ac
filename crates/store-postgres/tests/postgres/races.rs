//! Concurrent transactions: what only a real database can show.

use std::sync::Arc;

use thunderphone_domain::{NewPhoneNumber, Role};
use thunderphone_ports::{
    AgentRepository, NumberChange, NumberRepository, Reference, RepoError, TenancyRepository,
    VoipConnectionRepository,
};
use thunderphone_store_contract::fixtures::{
    activate, agent, at, change, claim, connection, import, pool, tenant, update,
};
use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_test_db::TestDb;

use crate::support::{count, fresh};

/// Assigning an agent races deleting it: exactly one of them wins, and
/// no number is ever left pointing at a deleted agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agent_deletion_and_assignment_never_both_win() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let mut number = activate(&*store, &number, at(2)).await;
    for round in 0..20 {
        let target = agent(&*store, acme.org_id, &format!("agent {round}"), at(3)).await;
        let change_to = NumberChange {
            expected: number.version(),
            updated: update(&number, Some(Some(target.id)), None, None, at(4 + round)),
            actor: None,
            checks: Vec::new(),
        };
        let assign = tokio::spawn({
            let store = Arc::clone(&store);
            async move { store.save_change(change_to).await }
        });
        let delete = tokio::spawn({
            let store = Arc::clone(&store);
            async move { store.delete_agent(acme.org_id, target.id).await }
        });
        let (assigned, deleted) = (assign.await.unwrap(), delete.await.unwrap());
        match (&assigned, &deleted) {
            (Ok(saved), Err(RepoError::AgentInUse)) => number = saved.clone(),
            (Err(RepoError::InvalidReference(Reference::InboundAgent(_))), Ok(())) => {}
            other => panic!("round {round}: {other:?}"),
        }
        let dangling = count(
            &url,
            "SELECT count(*) AS n FROM phone_numbers p \
             WHERE inbound_agent_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = p.inbound_agent_id)",
        );
        assert_eq!(dangling, 0, "round {round}");
        // Unassign for the next round (the agent may still be in use).
        if number.inbound_agent_id().is_some() {
            number = change(&*store, &number, Some(None), None, None, at(100 + round)).await;
        }
    }
}

/// Deleting a connection races changes to its numbers: no deadlock, no
/// unexpected error; a change that lost is told to retry
/// (`VersionConflict`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connection_deletion_and_number_changes_do_not_deadlock() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    for round in 0..10u8 {
        let trunk = connection(&*store, acme.org_id, &format!("trunk {round}"), at(0)).await;
        let helper = agent(&*store, acme.org_id, &format!("helper {round}"), at(0)).await;
        let numbers = import(
            &*store,
            acme.org_id,
            trunk.id,
            &[pool("212", round), pool("646", round), pool("718", round)],
            at(1),
        )
        .await;
        let changes: Vec<_> = numbers
            .iter()
            .map(|n| {
                let store = Arc::clone(&store);
                let change_to = NumberChange {
                    expected: n.version(),
                    updated: update(n, Some(Some(helper.id)), None, None, at(2)),
                    actor: None,
                    checks: Vec::new(),
                };
                tokio::spawn(async move { store.save_change(change_to).await })
            })
            .collect();
        let deleted = tokio::spawn({
            let store = Arc::clone(&store);
            async move {
                store
                    .delete_connection(acme.org_id, trunk.id, at(3), None)
                    .await
            }
        });
        for result in futures::future::join_all(changes).await {
            match result.unwrap() {
                Ok(_) | Err(RepoError::VersionConflict { .. }) => {}
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        deleted.await.unwrap().expect("the connection is deleted");
        for n in &numbers {
            let now = store
                .find_number(acme.org_id, n.id())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(now.voip_connection_id(), None, "detached");
        }
    }
    let versions_match = count(
        &url,
        "SELECT count(*) AS n FROM phone_numbers p \
         WHERE p.version <> (SELECT max(version) FROM phone_number_versions v \
                             WHERE v.phone_number_id = p.id)",
    );
    assert_eq!(versions_match, 0, "every version has its snapshot");
}

/// Imports racing for the same number: one creates it, the others are
/// told it is taken (and nothing else of their batch is created).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_imports_of_one_number() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(0)).await;
    for line in 0..20u8 {
        let racers: Vec<_> = (0..3)
            .map(|i| {
                let store = Arc::clone(&store);
                let drafts = vec![
                    NewPhoneNumber::voip(acme.org_id, pool("305", line), trunk.id, at(1)),
                    NewPhoneNumber::voip(acme.org_id, pool("786", i * 30 + line), trunk.id, at(1)),
                ];
                tokio::spawn(async move { store.insert_numbers(drafts, None).await })
            })
            .collect();
        let mut won = 0;
        for result in futures::future::join_all(racers).await {
            match result.unwrap() {
                Ok(_) => won += 1,
                Err(RepoError::NumbersTaken(taken)) => assert_eq!(taken, vec![pool("305", line)]),
                Err(other) => panic!("line {line}: {other:?}"),
            }
        }
        assert_eq!(won, 1, "line {line}");
    }
    assert_eq!(count(&url, "SELECT count(*) AS n FROM phone_numbers"), 40);
}

/// Two instances starting at once migrate one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_take_turns() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let first = Arc::new(PgStore::connect(db.url(), PoolOptions::default()).unwrap());
    let second = Arc::new(PgStore::connect(db.url(), PoolOptions::default()).unwrap());
    let (a, b) = tokio::join!(
        tokio::spawn({
            let store = Arc::clone(&first);
            async move { store.run_migrations().await }
        }),
        tokio::spawn({
            let store = Arc::clone(&second);
            async move { store.run_migrations().await }
        }),
    );
    assert_eq!(a.unwrap(), Ok(()));
    assert_eq!(b.unwrap(), Ok(()));
    let acme = tenant(&*first, "acme").await;
    assert_eq!(
        second.find_role(acme.org_id, acme.user_id).await,
        Ok(Some(Role::Owner))
    );
    drop((first, second));
    drop(db);
}
