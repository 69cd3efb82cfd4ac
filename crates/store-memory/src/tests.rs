//! Behaviour of the memory store beyond the shared contract (which runs in
//! `tests/contract.rs`).

use thunderphone_domain::{NewPhoneNumber, OrgId, PhoneNumberParts, Role, Updated, VoipProvider};
use thunderphone_ports::{
    AgentRepository, NewVoipConnection, NumberChange, NumberRepository, Reference, RepoError,
    TenancyRepository, VoipConnectionRepository,
};
use thunderphone_store_contract::fixtures::{
    activate, area, at, claim, email, missing_org, name, pool, sealed, tenant,
};

use crate::MemoryStore;

#[tokio::test]
async fn debug_prints_counts_not_secrets() {
    let store = MemoryStore::new();
    let acme = tenant(&store, "acme").await;
    store
        .create_connection(NewVoipConnection {
            org_id: acme.org_id,
            name: name("trunk"),
            provider: VoipProvider::Sip,
            termination_uri: None,
            credentials: sealed("k1", b"hunter2"),
            created_at: at(0),
        })
        .await
        .unwrap();
    let printed = format!("{store:?}");
    for secret in ["hunter2", &acme.key_hash, "acme@example.com"] {
        assert!(!printed.contains(secret), "{printed}");
    }
    assert!(printed.contains("connections: 1"), "{printed}");
}

#[tokio::test]
async fn ids_start_at_one() {
    let store = MemoryStore::default();
    let acme = tenant(&store, "acme").await;
    assert_eq!(acme.org_id.get(), 1);
    assert_eq!(acme.user_id.get(), 1);
    assert_eq!(acme.api_key_id.get(), 1);
    let agent = store
        .create_agent(acme.org_id, name("a"), at(0))
        .await
        .unwrap();
    assert_eq!(agent.id.get(), 1);
    assert_eq!(claim(&store, acme.org_id, "415", at(0)).await.id().get(), 1);
}

#[tokio::test]
async fn repeated_number_in_one_batch_is_taken() {
    let store = MemoryStore::new();
    let acme = tenant(&store, "acme").await;
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
    assert!(store.lock().numbers.is_empty());
}

#[tokio::test]
async fn records_need_an_existing_org() {
    let store = MemoryStore::new();
    let org_ref = Err(RepoError::InvalidReference(Reference::Org(
        missing_org().get(),
    )));
    assert_eq!(
        store
            .create_agent(missing_org(), name("a"), at(0))
            .await
            .map(|_| ()),
        org_ref
    );
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
    assert!(matches!(
        store
            .claim_pool_number(missing_org(), &[area("415")], at(0), None)
            .await,
        Err(RepoError::Unexpected(_))
    ));
}

#[tokio::test]
async fn transfer_to_unknown_org_is_refused() {
    let store = MemoryStore::new();
    let acme = tenant(&store, "acme").await;
    let number = claim(&store, acme.org_id, "415", at(1)).await;
    let number = activate(&store, &number, at(2)).await;
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

#[tokio::test]
async fn a_change_must_succeed_the_expected_version() {
    let store = MemoryStore::new();
    let acme = tenant(&store, "acme").await;
    let number = claim(&store, acme.org_id, "415", at(1)).await;
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
    assert!(matches!(
        store.save_change(change).await,
        Err(RepoError::Unexpected(_))
    ));
    assert_eq!(
        store.find_number(acme.org_id, number.id()).await.unwrap(),
        Some(number)
    );
}

#[tokio::test]
async fn api_key_hashes_are_unique() {
    let store = MemoryStore::new();
    let acme = tenant(&store, "acme").await;
    let user = store
        .create_user(email("bob@example.com"), at(0))
        .await
        .unwrap();
    store
        .set_membership(acme.org_id, user.id, Role::Member)
        .await
        .unwrap();
    assert_eq!(
        store
            .create_api_key(user.id, acme.org_id, acme.key_hash.clone(), at(1))
            .await,
        Err(RepoError::Duplicate("api key"))
    );
}

/// Memory stays bounded: once purged, a day's worth of keys is gone from
/// the map, not only hidden from `begin`.
#[tokio::test]
async fn purged_idempotency_keys_free_their_memory() {
    use thunderphone_ports::IdempotencyStore;
    let store = MemoryStore::new();
    let acme = tenant(&store, "acme").await;
    for i in 0..5_000 {
        store
            .begin(
                acme.org_id,
                &format!("k-{i}"),
                "fp",
                at(0),
                at(60),
                at(-86_400),
            )
            .await
            .unwrap();
    }
    assert!(format!("{store:?}").contains("idempotency_keys: 5000"));
    let mut purged = 0;
    loop {
        let batch = store.purge_expired(at(86_401), 1_000).await.unwrap();
        purged += batch;
        if batch < 1_000 {
            break;
        }
    }
    assert_eq!(purged, 5_000);
    let printed = format!("{store:?}");
    assert!(printed.contains("idempotency_keys: 0"), "{printed}");
    assert!(
        store.lock().idempotency.capacity() < 1_000,
        "the map gave its memory back"
    );
}
