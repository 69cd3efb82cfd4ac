//! Edges the contract leaves to each store, and what the database holds.

use std::time::Duration;

use diesel::prelude::*;
use thunderphone_domain::{
    E164, NewPhoneNumber, OrgId, PhoneNumberParts, Role, SipUri, Source, Status, Updated,
    VoipProvider,
};
use thunderphone_ports::{
    ActivationQueue, AgentRepository, NewVoipConnection, NumberChange, NumberRepository, Reference,
    RepoError, StoreHealth, TenancyRepository, VoipConnectionRepository,
};
use thunderphone_store_contract::fixtures::{
    activate, agent, area, at, change, claim, connection, email, import, missing_org, name, pool,
    sealed, tenant,
};

use crate::support::{Count, count, execute, fresh, text};

#[tokio::test]
async fn sealed_credentials_are_stored_as_given_and_never_printed() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    store
        .create_connection(NewVoipConnection {
            org_id: acme.org_id,
            name: name("pbx"),
            provider: VoipProvider::Sip,
            termination_uri: None,
            credentials: sealed("k9", b"hunter2-ciphertext"),
            created_at: at(0),
        })
        .await
        .unwrap();
    let key_id = text(
        &url,
        "SELECT credentials_key_id AS text FROM voip_connections",
    )
    .unwrap();
    assert_eq!(key_id, "k9");
    let bytes = text(
        &url,
        "SELECT convert_from(credentials_sealed, 'UTF8') AS text FROM voip_connections",
    )
    .unwrap();
    assert_eq!(bytes, "hunter2-ciphertext");
    let printed = format!("{store:?}");
    assert!(
        !printed.contains("hunter2") && !printed.contains(&url),
        "{printed}"
    );
}

/// A termination URI an earlier version stored that today's rules refuse
/// (they were tightened for API.md §15) still reads back: reading a
/// connection never fails on it; the SIP verifier refuses to use it.
#[tokio::test]
async fn termination_uris_of_older_rules_still_read() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let created = store
        .create_connection(NewVoipConnection {
            org_id: acme.org_id,
            name: name("pbx"),
            provider: VoipProvider::Sip,
            termination_uri: Some(SipUri::parse("sip:pbx.example.com").unwrap()),
            credentials: sealed("k9", b"x"),
            created_at: at(0),
        })
        .await
        .unwrap();
    let old = "sip:pbx.example.com;x=<old>";
    assert!(SipUri::parse(old).is_err());
    execute(
        &url,
        &format!("UPDATE voip_connections SET termination_uri = '{old}'"),
    );
    let found = store
        .find_connection(acme.org_id, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.termination_uri.map(|u| u.as_str().to_owned()),
        Some(old.to_owned())
    );
    let page = store
        .list_connections(
            acme.org_id,
            thunderphone_ports::PageRequest::first(Default::default()),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn records_need_an_existing_org() {
    let (store, _) = fresh().await;
    let org_ref = Err(RepoError::InvalidReference(Reference::Org(
        missing_org().get(),
    )));
    let agent = store.create_agent(missing_org(), name("a"), at(0)).await;
    assert_eq!(agent.map(|_| ()), org_ref);
    let new = NewVoipConnection {
        org_id: missing_org(),
        name: name("c"),
        provider: VoipProvider::Telnyx,
        termination_uri: None,
        credentials: sealed("k1", b"k"),
        created_at: at(0),
    };
    assert_eq!(store.create_connection(new).await.map(|_| ()), org_ref);
    let drafts = vec![NewPhoneNumber::demo(missing_org(), pool("212", 1), at(0))];
    assert_eq!(
        store.insert_numbers(drafts, None).await.map(|_| ()),
        org_ref
    );
    let claimed = store
        .claim_pool_number(missing_org(), &[area("415")], at(0), None)
        .await;
    // Named as the org, not as whichever foreign key fired first.
    assert!(
        matches!(&claimed, Err(RepoError::Unexpected(why)) if why.to_string().ends_with("does not exist")),
        "{claimed:?}"
    );
}

#[tokio::test]
async fn api_key_hashes_and_batch_numbers_are_unique() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let bob = store
        .create_user(email("bob@example.com"), at(0))
        .await
        .unwrap();
    store
        .set_membership(acme.org_id, bob.id, Role::Member)
        .await
        .unwrap();
    assert_eq!(
        store
            .create_api_key(bob.id, acme.org_id, acme.key_hash.clone(), at(1))
            .await,
        Err(RepoError::Duplicate("api key"))
    );
    let drafts = [
        pool("212", 1),
        pool("212", 2),
        pool("212", 1),
        pool("212", 1),
    ]
    .into_iter()
    .map(|n| NewPhoneNumber::demo(acme.org_id, n, at(0)))
    .collect();
    assert_eq!(
        store.insert_numbers(drafts, None).await,
        Err(RepoError::NumbersTaken(vec![pool("212", 1)]))
    );
    assert_eq!(count(&url, "SELECT count(*) AS n FROM phone_numbers"), 0);
}

#[tokio::test]
async fn a_change_must_succeed_the_expected_version() {
    let (store, _) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let activated = number.activate(at(2)).unwrap();
    let skipped = PhoneNumberParts {
        version: activated.number.version().next(),
        ..activated.number.parts().clone()
    }
    .rehydrate();
    let change = NumberChange {
        expected: number.version(),
        updated: Updated {
            number: skipped,
            change: activated.change,
        },
        actor: None,
        checks: Vec::new(),
    };
    let saved = store.save_change(change).await;
    assert!(matches!(saved, Err(RepoError::Unexpected(_))), "{saved:?}");
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(number)
    );
}

#[tokio::test]
async fn transfer_to_an_unknown_org_is_refused() {
    let (store, _) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let number = activate(&*store, &number, at(2)).await;
    let nowhere = OrgId::new(77).unwrap();
    let change = NumberChange {
        expected: number.version(),
        updated: number.transfer(nowhere, None, at(3)).unwrap(),
        actor: None,
        checks: Vec::new(),
    };
    assert_eq!(
        store.save_change(change).await,
        Err(RepoError::InvalidReference(Reference::Org(77)))
    );
}

/// A deleted number keeps its row and history but lets go of its agents
/// and connection, so neither is held in place by it.
#[tokio::test]
async fn deleted_numbers_release_their_references() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(0)).await;
    let helper = agent(&*store, acme.org_id, "helper", at(0)).await;
    let number = import(&*store, acme.org_id, trunk.id, &[pool("212", 1)], at(1)).await;
    let number = change(
        &*store,
        &number[0],
        Some(Some(helper.id)),
        None,
        None,
        at(2),
    )
    .await;
    store
        .delete_number(acme.org_id, number.id(), None, at(9_000), None)
        .await
        .unwrap();
    let refs = text(
        &url,
        "SELECT concat_ws(',', inbound_agent_id, voip_connection_id, deleted_at IS NOT NULL) \
         AS text FROM phone_numbers",
    );
    assert_eq!(refs.as_deref(), Some("t"), "only deleted_at is set");
    assert_eq!(
        count(&url, "SELECT count(*) AS n FROM phone_number_versions"),
        2
    );
    store.delete_agent(acme.org_id, helper.id).await.unwrap();
    store
        .delete_connection(acme.org_id, trunk.id, at(3), None)
        .await
        .unwrap();
}

/// Terminates every connection to the database but the admin's own and
/// waits until they are gone; returns how many there were.
fn kill_connections(url: &str) -> i64 {
    let mut admin = PgConnection::establish(url).unwrap();
    let others = "FROM pg_stat_activity WHERE datname = current_database() \
                  AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
    let killed = diesel::sql_query(format!(
        "SELECT count(pg_terminate_backend(pid)) AS n {others}"
    ))
    .get_result::<Count>(&mut admin)
    .unwrap();
    for _ in 0..100 {
        let left = diesel::sql_query(format!("SELECT count(*) AS n {others}"))
            .get_result::<Count>(&mut admin)
            .unwrap();
        if left.n == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    killed.n
}

/// Connections the server dropped while idle (a restart, an admin's
/// `pg_terminate_backend`) are checked and replaced on checkout: the next
/// call works. A connection counts as idle once it has not been used for
/// longer than the pool trusts one it just had back (half a second).
#[tokio::test]
async fn dropped_connections_are_replaced() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        kill_connections(&url) >= 1,
        "the store had a connection open"
    );
    let found = store.find_role(acme.org_id, acme.user_id).await;
    assert_eq!(found, Ok(Some(Role::Owner)));
}

/// A connection dropped while still trusted (used moments ago) fails the
/// one call that finds out, with `Unavailable`, and is closed; from then
/// on the pool checks every connection it had before using it, so the
/// next call works even though all of them are dead.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_connection_makes_the_pool_check_the_others() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    // Concurrent calls until the pool holds several connections.
    for _ in 0..50 {
        let calls = (0..8).map(|_| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move { store.find_role(acme.org_id, acme.user_id).await })
        });
        for call in futures::future::join_all(calls).await {
            assert_eq!(call.unwrap(), Ok(Some(Role::Owner)));
        }
        let pool = store.stats(at(0)).await.unwrap().and_then(|s| s.pool);
        if pool.is_some_and(|p| p.idle >= 3) {
            break;
        }
    }
    assert!(
        kill_connections(&url) >= 3,
        "the pool had several connections"
    );
    let first = store.find_role(acme.org_id, acme.user_id).await;
    assert!(
        matches!(
            first,
            Ok(Some(Role::Owner)) | Err(RepoError::Unavailable(_))
        ),
        "{first:?}"
    );
    for _ in 0..3 {
        let found = store.find_role(acme.org_id, acme.user_id).await;
        assert_eq!(found, Ok(Some(Role::Owner)));
    }
}

/// `/metrics` counts: live numbers by kind, the pool's used part, jobs by
/// state at `now`, and the pool's usage.
#[tokio::test]
async fn stats_count_numbers_jobs_and_connections() {
    let (store, _) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let trunk = connection(&*store, acme.org_id, "trunk", at(0)).await;
    import(&*store, acme.org_id, trunk.id, &[pool("212", 1)], at(1)).await;
    let outside = E164::parse("+14155550200").unwrap();
    import(&*store, acme.org_id, trunk.id, &[outside], at(1)).await;
    let leased = claim(&*store, acme.org_id, "415", at(1)).await;
    let waiting = claim(&*store, acme.org_id, "415", at(2)).await;
    claim(&*store, acme.org_id, "415", at(3)).await;
    let settled = claim(&*store, acme.org_id, "415", at(4)).await;
    activate(&*store, &settled, at(5)).await;
    let gone = claim(&*store, acme.org_id, "415", at(6)).await;
    store
        .delete_number(acme.org_id, gone.id(), None, at(9_000), None)
        .await
        .unwrap();
    let jobs = store.lease_due(at(10), at(20), 2).await.unwrap();
    let ids: Vec<_> = jobs.iter().map(|job| job.number_id).collect();
    assert_eq!(ids, [leased.id(), waiting.id()]);
    store.retry_at(&jobs[1], 1, at(60), "busy").await.unwrap();

    let stats = store.stats(at(10)).await.unwrap().expect("kept");
    assert_eq!(
        stats.numbers,
        vec![
            (Source::Demo, Status::Active, 1),
            (Source::Demo, Status::Provisioning, 3),
            (Source::Voip, Status::Provisioning, 2),
        ]
    );
    assert_eq!(stats.held_pool_numbers, 5, "the 555-0200 number is outside");
    assert_eq!(
        (stats.jobs_due, stats.jobs_leased, stats.jobs_waiting),
        (1, 1, 1)
    );
    let pool = stats.pool.expect("a pool");
    assert_eq!(pool.max, 8);
    assert!(pool.idle >= 1 && pool.in_use == 0, "{pool:?}");
}
