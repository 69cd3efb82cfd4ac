//! `App::rotate_secrets` on the in-memory store with real vaults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use thunderphone_app::{App, NewConnectionRequest, Ports, Settings};
use thunderphone_carriers::{DemoProvider, UnsupportedVerifier};
use thunderphone_domain::{
    DisplayName, Email, EventTypes, OrgId, Role, Secret, VoipCredentials, WebhookEndpoint,
    WebhookUrl,
};
use thunderphone_ports::{
    CredentialVault, NewWebhookEndpoint, SystemClock, VoipConnectionRepository, WebhookRepository,
};
use thunderphone_store_memory::MemoryStore;
use thunderphone_vault::{AesGcmVault, KeyRing};

const OLD: &str = "old:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const NEW: &str = "new:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

fn app(store: Arc<MemoryStore>, keys: &str) -> App {
    let ports = Ports {
        numbers: store.clone(),
        keyed: store.clone(),
        agents: store.clone(),
        connections: store.clone(),
        tenancy: store.clone(),
        health: store.clone(),
        jobs: store.clone(),
        idempotency: store.clone(),
        sessions: store.clone(),
        events: store.clone(),
        webhooks: store,
        sender: Arc::new(thunderphone_ports::MockWebhookSender::new()),
        gate: Arc::new(thunderphone_ports::MockOutboundGate::new()),
        provider: Arc::new(DemoProvider::new(std::time::Duration::ZERO)),
        verifier: Arc::new(UnsupportedVerifier),
        clock: Arc::new(SystemClock),
        vault: Arc::new(AesGcmVault::new(KeyRing::parse(keys).unwrap())),
    };
    App::new(ports, Settings::default())
}

#[tokio::test]
async fn rotation_reseals_everything_under_the_new_key() {
    let store = Arc::new(MemoryStore::new());
    let before = app(store.clone(), OLD);
    let org = before
        .create_org(DisplayName::parse("Acme").unwrap())
        .await
        .unwrap();
    let user = before
        .create_user(Email::parse("a@acme.example").unwrap())
        .await
        .unwrap();
    before
        .set_membership(org.id, user.id, Role::Owner)
        .await
        .unwrap();
    let key = before.create_api_key(user.id, org.id).await.unwrap();
    let caller = before.authenticate(&key.key).await.unwrap();
    let credentials = VoipCredentials::Telnyx {
        api_key: Secret::new("KEY-secret"),
    };
    let mut ids = Vec::new();
    for i in 0..3 {
        let request = NewConnectionRequest {
            name: DisplayName::parse(&format!("c{i}")).unwrap(),
            termination_uri: None,
            credentials: credentials.clone(),
        };
        ids.push(before.create_connection(&caller, request).await.unwrap().id);
    }

    let after = app(store.clone(), &format!("{NEW},{OLD}"));
    let rotated = after.rotate_secrets().await.unwrap();
    assert_eq!((rotated.resealed, rotated.skipped), (3, 0));
    assert!(
        store
            .sealed_with_other_keys("new", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The old key can go now: the new key alone opens everything.
    let new_only = AesGcmVault::new(KeyRing::parse(NEW).unwrap());
    for id in ids {
        let (_, sealed) = store
            .find_connection_credentials(org.id, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sealed.key_id, "new");
        assert_eq!(new_only.open(&sealed).unwrap(), credentials);
    }
    assert_eq!(
        after.rotate_secrets().await.unwrap().resealed,
        0,
        "nothing left to do"
    );
}

#[tokio::test]
async fn rotation_without_a_key_is_refused() {
    let store = Arc::new(MemoryStore::new());
    let result = app(store, "").rotate_secrets().await;
    assert!(
        matches!(result, Err(thunderphone_app::AppError::NotConfigured(ref m)) if m.contains("THUNDERPHONE_SECRET_KEY")),
        "{result:?}"
    );
}

/// An endpoint of `org_id` whose secret `vault` sealed.
async fn endpoint(store: &MemoryStore, org_id: OrgId, vault: &AesGcmVault) -> WebhookEndpoint {
    store
        .create_endpoint(
            NewWebhookEndpoint {
                org_id,
                url: WebhookUrl::parse("https://hooks.example.com/in").unwrap(),
                event_types: EventTypes::all(),
                description: None,
                secret: vault.seal_webhook_secret(b"the current secret").unwrap(),
                created_at: chrono::Utc::now(),
            },
            20,
        )
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn rotation_reseals_webhook_secrets_current_and_previous() {
    let store = Arc::new(MemoryStore::new());
    let before = app(store.clone(), OLD);
    let org = before
        .create_org(DisplayName::parse("Acme").unwrap())
        .await
        .unwrap();
    let old = AesGcmVault::new(KeyRing::parse(OLD).unwrap());
    let plain = endpoint(&store, org.id, &old).await;
    let rotated_once = endpoint(&store, org.id, &old).await;
    // A secret rotation a day ago: the previous secret still signs.
    store
        .rotate_secret(
            org.id,
            rotated_once.id,
            old.seal_webhook_secret(b"the newer secret").unwrap(),
            chrono::Utc::now() + chrono::TimeDelta::hours(1),
        )
        .await
        .unwrap();

    let after = app(store.clone(), &format!("{NEW},{OLD}"));
    let new_only_app = app(store.clone(), NEW);
    let unreadable = new_only_app.unreadable_credential_keys().await.unwrap();
    assert_eq!(
        unreadable
            .iter()
            .map(|u| u.key_id.as_str())
            .collect::<Vec<_>>(),
        ["old"],
        "the start-up check sees the webhook secrets: {unreadable:?}"
    );

    let rotated = after.rotate_secrets().await.unwrap();
    assert_eq!((rotated.resealed, rotated.skipped), (3, 0));
    assert!(
        new_only_app
            .unreadable_credential_keys()
            .await
            .unwrap()
            .is_empty(),
        "the old key can go now"
    );

    // The new key alone signs every delivery, with the same secrets.
    let new_only = AesGcmVault::new(KeyRing::parse(NEW).unwrap());
    let mut secrets = store
        .secrets_sealed_with_other_keys("none", chrono::Utc::now(), 10)
        .await
        .unwrap();
    secrets.sort_by_key(|s| {
        (
            s.endpoint_id,
            s.slot == thunderphone_ports::SecretSlot::Previous,
        )
    });
    let opened: Vec<(i64, Vec<u8>)> = secrets
        .iter()
        .map(|s| {
            assert_eq!(s.sealed.key_id, "new");
            (
                s.endpoint_id.get(),
                new_only.open_webhook_secret(&s.sealed).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        opened,
        [
            (plain.id.get(), b"the current secret".to_vec()),
            (rotated_once.id.get(), b"the newer secret".to_vec()),
            (rotated_once.id.get(), b"the current secret".to_vec()),
        ]
    );
    assert_eq!(after.rotate_secrets().await.unwrap().resealed, 0);
}
