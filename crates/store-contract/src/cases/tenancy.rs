//! Orgs, users, memberships and API keys.

use std::sync::Arc;

use thunderphone_domain::{Membership, Principal, Role};
use thunderphone_ports::{Reference, RepoError};

use crate::TestStore;
use crate::fixtures::{at, base, email, missing_key, missing_org, missing_user, name, tenant};

/// Orgs and users are created with the given fields; a membership is
/// created, read back by `find_role`, and changed by a second call.
pub async fn tenancy_creates_orgs_users_and_memberships<S: TestStore>(store: Arc<S>) {
    let org = store.create_org(name(" Acme "), at(1)).await.unwrap();
    assert_eq!(org.name.as_str(), "Acme");
    assert_eq!(org.created_at, at(1));
    let other = store.create_org(name("Other"), at(2)).await.unwrap();
    assert_ne!(org.id, other.id, "org ids are unique");

    let user = store
        .create_user(email("ada@example.com"), at(3))
        .await
        .unwrap();
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert_eq!(user.created_at, at(3));
    assert_eq!(store.find_role(org.id, user.id).await.unwrap(), None);

    let membership = store
        .set_membership(org.id, user.id, Role::Member)
        .await
        .unwrap();
    let expected = Membership {
        org_id: org.id,
        user_id: user.id,
        role: Role::Member,
    };
    assert_eq!(membership, expected);
    assert_eq!(
        store.find_role(org.id, user.id).await.unwrap(),
        Some(Role::Member)
    );
    assert_eq!(
        store.find_role(other.id, user.id).await.unwrap(),
        None,
        "a membership is per org"
    );

    let changed = store
        .set_membership(org.id, user.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(changed.role, Role::Admin);
    assert_eq!(
        store.find_role(org.id, user.id).await.unwrap(),
        Some(Role::Admin)
    );
}

/// A second user with the same address (in any case) is `Duplicate("email")`.
pub async fn tenancy_rejects_duplicate_email<S: TestStore>(store: Arc<S>) {
    store
        .create_user(email("ada@example.com"), base())
        .await
        .unwrap();
    assert_eq!(
        store.create_user(email("Ada@Example.COM"), at(1)).await,
        Err(RepoError::Duplicate("email"))
    );
    store
        .create_user(email("bob@example.com"), at(2))
        .await
        .expect("another address is fine");
}

/// `set_membership` names the missing org or user.
pub async fn tenancy_membership_requires_org_and_user<S: TestStore>(store: Arc<S>) {
    let org = store.create_org(name("Acme"), base()).await.unwrap();
    let user = store
        .create_user(email("ada@example.com"), base())
        .await
        .unwrap();
    assert_eq!(
        store
            .set_membership(missing_org(), user.id, Role::Owner)
            .await,
        Err(RepoError::InvalidReference(Reference::Org(
            missing_org().get()
        )))
    );
    assert_eq!(
        store
            .set_membership(org.id, missing_user(), Role::Owner)
            .await,
        Err(RepoError::InvalidReference(Reference::User(
            missing_user().get()
        )))
    );
    assert_eq!(store.find_role(org.id, user.id).await.unwrap(), None);
}

/// An API key needs the user to be a member of the org.
pub async fn tenancy_api_key_requires_membership<S: TestStore>(store: Arc<S>) {
    let org = store.create_org(name("Acme"), base()).await.unwrap();
    let user = store
        .create_user(email("ada@example.com"), base())
        .await
        .unwrap();
    let refused = Err(RepoError::InvalidReference(Reference::Membership));
    assert_eq!(
        store
            .create_api_key(user.id, org.id, "h1".into(), base())
            .await,
        refused
    );
    assert_eq!(
        store
            .create_api_key(user.id, missing_org(), "h2".into(), base())
            .await,
        refused
    );
    assert_eq!(
        store
            .create_api_key(missing_user(), org.id, "h3".into(), base())
            .await,
        refused
    );
    assert_eq!(store.authenticate("h1").await.unwrap(), None);

    store
        .set_membership(org.id, user.id, Role::Member)
        .await
        .unwrap();
    let key = store
        .create_api_key(user.id, org.id, "h1".into(), at(5))
        .await
        .unwrap();
    assert_eq!(key.user_id, user.id);
    assert_eq!(key.org_id, org.id);
    assert_eq!(key.created_at, at(5));
}

/// `authenticate` resolves a key hash to its key, user, org and role.
pub async fn tenancy_authenticates_by_hash<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let principal = store.authenticate(&acme.key_hash).await.unwrap();
    assert_eq!(
        principal,
        Some(Principal {
            api_key_id: acme.api_key_id,
            user_id: acme.user_id,
            org_id: acme.org_id,
            role: Role::Owner,
        })
    );
    let other = store.authenticate(&globex.key_hash).await.unwrap();
    assert_eq!(other.map(|p| p.org_id), Some(globex.org_id));
    assert_ne!(acme.api_key_id, globex.api_key_id);
}

/// A changed role is what the next `authenticate` reports.
pub async fn tenancy_role_change_reaches_authenticate<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    store
        .set_membership(acme.org_id, acme.user_id, Role::Member)
        .await
        .unwrap();
    let principal = store.authenticate(&acme.key_hash).await.unwrap();
    assert_eq!(principal.map(|p| p.role), Some(Role::Member));
    store
        .set_membership(acme.org_id, acme.user_id, Role::Admin)
        .await
        .unwrap();
    let principal = store.authenticate(&acme.key_hash).await.unwrap();
    assert_eq!(principal.map(|p| p.role), Some(Role::Admin));
}

/// A revoked key stops working at once; revoking it again (or an unknown
/// key) is `NotFound`; other keys keep working.
pub async fn tenancy_revoked_key_stops_working<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let second = store
        .create_api_key(acme.user_id, acme.org_id, "second".into(), at(1))
        .await
        .unwrap();
    store
        .revoke_api_key(acme.api_key_id, at(2))
        .await
        .expect("first revoke");
    assert_eq!(store.authenticate(&acme.key_hash).await.unwrap(), None);
    assert_eq!(
        store.revoke_api_key(acme.api_key_id, at(3)).await,
        Err(RepoError::NotFound)
    );
    assert_eq!(
        store.revoke_api_key(missing_key(), at(3)).await,
        Err(RepoError::NotFound)
    );
    let still = store.authenticate("second").await.unwrap();
    assert_eq!(still.map(|p| p.api_key_id), Some(second.id));
}

/// An unknown hash authenticates no one.
pub async fn tenancy_unknown_hash_is_none<S: TestStore>(store: Arc<S>) {
    assert_eq!(store.authenticate("nope").await.unwrap(), None);
    let acme = tenant(&*store, "acme").await;
    assert_eq!(store.authenticate("nope").await.unwrap(), None);
    assert_eq!(store.authenticate("").await.unwrap(), None);
    let prefix = &acme.key_hash[..acme.key_hash.len() - 1];
    assert_eq!(store.authenticate(prefix).await.unwrap(), None);
}
