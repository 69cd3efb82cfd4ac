//! Console sessions.

use std::sync::Arc;

use thunderphone_domain::Role;
use thunderphone_ports::{NewSession, RepoError};

use crate::TestStore;
use crate::fixtures::{at, missing_key, tenant};

fn session(id_hash: &str, key: thunderphone_domain::ApiKeyId, expires: i64) -> NewSession {
    NewSession {
        id_hash: id_hash.into(),
        api_key_id: key,
        created_at: at(0),
        expires_at: at(expires),
    }
}

/// A session is found by its hash until it expires, as its key's current
/// principal; an unknown hash finds nothing; a taken hash is `Duplicate`.
pub async fn sessions_find_until_expiry<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    store
        .create_session(session("s1", acme.api_key_id, 100))
        .await
        .unwrap();
    assert_eq!(
        store.find_session("s1", at(99)).await.unwrap(),
        Some(acme.principal())
    );
    assert_eq!(store.find_session("s1", at(100)).await.unwrap(), None);
    assert_eq!(store.find_session("s2", at(1)).await.unwrap(), None);
    assert_eq!(
        store
            .create_session(session("s1", acme.api_key_id, 100))
            .await,
        Err(RepoError::Duplicate("session"))
    );
    assert_eq!(
        store
            .create_session(session("s3", missing_key(), 100))
            .await,
        Err(RepoError::NotFound)
    );
}

/// Revoking the key or removing the member ends the session; a role
/// change reaches it at once.
pub async fn sessions_follow_their_key<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    store
        .create_session(session("s1", acme.api_key_id, 100))
        .await
        .unwrap();
    store
        .set_membership(acme.org_id, acme.user_id, Role::Member)
        .await
        .unwrap();
    let found = store.find_session("s1", at(1)).await.unwrap();
    assert_eq!(found.map(|p| p.role), Some(Role::Member));
    store.revoke_api_key(acme.api_key_id, at(2)).await.unwrap();
    assert_eq!(store.find_session("s1", at(3)).await.unwrap(), None);
    assert_eq!(
        store
            .create_session(session("s2", acme.api_key_id, 100))
            .await,
        Err(RepoError::NotFound),
        "a revoked key opens no session"
    );
}

/// Deleting a session ends it; expired ones are purged in batches.
pub async fn sessions_delete_and_purge<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    for (hash, expires) in [("a", 10), ("b", 10), ("c", 10), ("d", 100)] {
        store
            .create_session(session(hash, acme.api_key_id, expires))
            .await
            .unwrap();
    }
    assert!(store.delete_session("a").await.unwrap());
    assert!(!store.delete_session("a").await.unwrap());
    assert_eq!(store.find_session("a", at(1)).await.unwrap(), None);
    assert_eq!(store.purge_sessions(at(50), 1).await.unwrap(), 1);
    assert_eq!(store.purge_sessions(at(50), 10).await.unwrap(), 1);
    assert_eq!(store.purge_sessions(at(50), 10).await.unwrap(), 0);
    assert_eq!(
        store.find_session("d", at(50)).await.unwrap(),
        Some(acme.principal())
    );
}
