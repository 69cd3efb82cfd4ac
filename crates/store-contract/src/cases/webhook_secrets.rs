//! Signing secrets as a key rotation sees them: listed by the key that
//! sealed them (previous secrets only while they still sign), sampled per
//! key, re-sealed only if unchanged; and the oldest-pending age counts
//! only deliveries the worker owes.

use std::sync::Arc;

use thunderphone_domain::WebhookEndpointId;
use thunderphone_ports::{EndpointChange, SecretSlot, StoredSecret};

use super::endpoint;
use crate::TestStore;
use crate::fixtures::{at, claim, sealed, tenant};

fn slots(found: &[StoredSecret]) -> Vec<(WebhookEndpointId, SecretSlot, String)> {
    found
        .iter()
        .map(|s| (s.endpoint_id, s.slot, s.sealed.key_id.clone()))
        .collect()
}

/// Secrets not sealed with a key are listed across orgs in endpoint
/// order; a previous secret only during its grace; a reseal replaces only
/// the bytes it read, and deliveries are signed with what it wrote.
pub async fn webhooks_secrets_listed_by_key_and_resealed<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let beta = tenant(&*store, "beta").await;
    let first = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let second = endpoint(&*store, beta.org_id, &[], at(0)).await;
    store
        .rotate_secret(acme.org_id, first.id, sealed("k2", b"two"), at(100))
        .await
        .expect("rotate");

    let stale = store
        .secrets_sealed_with_other_keys("k2", at(50), 10)
        .await
        .expect("list");
    assert_eq!(
        slots(&stale),
        [
            (first.id, SecretSlot::Previous, "k1".to_owned()),
            (second.id, SecretSlot::Current, "k1".to_owned()),
        ]
    );
    assert_eq!(stale[0].sealed, sealed("k1", b"secret-one"));
    assert_eq!(
        store
            .secrets_sealed_with_other_keys("k2", at(50), 1)
            .await
            .expect("list")
            .len(),
        1,
        "the limit holds"
    );
    assert_eq!(
        slots(
            &store
                .secrets_sealed_with_other_keys("k2", at(150), 10)
                .await
                .expect("list")
        ),
        [(second.id, SecretSlot::Current, "k1".to_owned())],
        "a previous secret past its grace is never read again"
    );

    // Compare-and-set: the first reseal wins, a stale one changes nothing.
    let previous = stale[0].clone();
    assert!(
        store
            .reseal_secret(previous.clone(), sealed("k2", b"one-again"))
            .await
            .expect("reseal")
    );
    assert!(
        !store
            .reseal_secret(previous, sealed("k2", b"lost"))
            .await
            .expect("reseal")
    );
    let mut wrong = stale[1].clone();
    wrong.sealed = sealed("k1", b"not what is stored");
    assert!(
        !store
            .reseal_secret(wrong, sealed("k2", b"lost"))
            .await
            .expect("reseal")
    );
    assert!(
        store
            .reseal_secret(stale[1].clone(), sealed("k2", b"beta-again"))
            .await
            .expect("reseal")
    );
    assert!(
        store
            .secrets_sealed_with_other_keys("k2", at(50), 10)
            .await
            .expect("list")
            .is_empty()
    );

    // Deliveries are signed with the resealed secrets, current first.
    claim(&*store, acme.org_id, "415", at(10)).await;
    let leased = store
        .lease_due_deliveries(at(10), 10, at(60))
        .await
        .expect("lease");
    assert_eq!(leased.len(), 1, "{leased:#?}");
    assert_eq!(
        leased[0].secrets,
        [sealed("k2", b"two"), sealed("k2", b"one-again")]
    );

    // A deleted endpoint's secret is not resealed.
    store
        .delete_endpoint(beta.org_id, second.id)
        .await
        .expect("delete");
    let gone = StoredSecret {
        endpoint_id: second.id,
        slot: SecretSlot::Current,
        sealed: sealed("k2", b"beta-again"),
    };
    assert!(
        !store
            .reseal_secret(gone, sealed("k3", b"x"))
            .await
            .expect("reseal")
    );
}

/// One secret in use for each key id, previous ones only in their grace.
pub async fn webhooks_secret_sample_per_key<S: TestStore>(store: Arc<S>) {
    assert!(
        store
            .secret_sample_per_key(at(0))
            .await
            .expect("sample")
            .is_empty()
    );
    let acme = tenant(&*store, "acme").await;
    let beta = tenant(&*store, "beta").await;
    let first = endpoint(&*store, acme.org_id, &[], at(0)).await;
    let second = endpoint(&*store, beta.org_id, &[], at(0)).await;
    let rotated = endpoint(&*store, beta.org_id, &[], at(0)).await;
    store
        .rotate_secret(beta.org_id, rotated.id, sealed("k3", b"three"), at(100))
        .await
        .expect("rotate");

    let keys = |sample: Vec<thunderphone_ports::SealedCredentials>| {
        let mut keys: Vec<String> = sample.into_iter().map(|s| s.key_id).collect();
        keys.sort();
        keys
    };
    // k1 is both current (two endpoints) and previous (the rotated one).
    assert_eq!(
        keys(store.secret_sample_per_key(at(50)).await.expect("sample")),
        ["k1", "k3"]
    );
    let sample = store.secret_sample_per_key(at(50)).await.expect("sample");
    assert!(sample.contains(&sealed("k3", b"three")));
    assert!(sample.contains(&sealed("k1", b"secret-one")));

    // Rotating the other k1 endpoints leaves k1 only as a previous secret:
    // sampled during the grace, not after.
    for (org, id) in [(acme.org_id, first.id), (beta.org_id, second.id)] {
        store
            .rotate_secret(org, id, sealed("k3", b"three"), at(100))
            .await
            .expect("rotate");
    }
    assert_eq!(
        keys(store.secret_sample_per_key(at(50)).await.expect("sample")),
        ["k1", "k3"]
    );
    assert_eq!(
        keys(store.secret_sample_per_key(at(150)).await.expect("sample")),
        ["k3"]
    );
}

/// A disabled endpoint's pending deliveries wait for it and do not count
/// as owed; enabled again, they do.
pub async fn webhooks_oldest_pending_skips_disabled_endpoints<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let hook = endpoint(&*store, acme.org_id, &[], at(0)).await;
    claim(&*store, acme.org_id, "415", at(3)).await;
    assert_eq!(store.oldest_pending().await.expect("oldest"), Some(at(3)));
    let switch = |enabled| EndpointChange {
        enabled: Some(enabled),
        ..EndpointChange::default()
    };
    store
        .update_endpoint(acme.org_id, hook.id, switch(false))
        .await
        .expect("disable");
    assert_eq!(store.oldest_pending().await.expect("oldest"), None);
    store
        .update_endpoint(acme.org_id, hook.id, switch(true))
        .await
        .expect("enable");
    assert_eq!(store.oldest_pending().await.expect("oldest"), Some(at(3)));
}
