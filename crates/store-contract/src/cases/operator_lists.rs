//! The operator's lists (API.md §17) and seeding a whole tenant at once.

use std::sync::Arc;

use thunderphone_domain::{Membership, Role};
use thunderphone_ports::{
    ApiKeyFilter, ListCursor, Page, PageRequest, Reference, RepoError, TenantSeed,
};

use crate::TestStore;
use crate::fixtures::{
    MAX_PAGES, TOO_MANY_PAGES, advance, at, check_page, cursor, email, limit, missing_org, name,
    tenant,
};

/// Walks every page a `list` closure returns, checking each one.
async fn walk<T, F, Fut>(size: i64, key: impl Fn(&T) -> ListCursor, list: F) -> Vec<T>
where
    F: Fn(PageRequest<ListCursor>) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T, ListCursor>, RepoError>>,
{
    let mut all = Vec::new();
    let mut request = PageRequest::first(limit(size));
    for _ in 0..MAX_PAGES {
        let page = list(request).await.unwrap();
        check_page(&page, size, &key);
        all.extend(page.items);
        match page.next {
            Some(next) => advance(&mut request.after, next),
            None => return all,
        }
    }
    panic!("{}", TOO_MANY_PAGES)
}

fn demo_seed(address: &str, key_org: usize) -> TenantSeed {
    TenantSeed {
        orgs: vec![name("Main"), name("Partner")],
        email: email(address),
        roles: vec![(0, Role::Owner), (1, Role::Admin)],
        agents: vec![(0, name("Front desk")), (0, name("Sales"))],
        key_org,
        key_hash: format!("hash-{address}"),
    }
}

/// A seed creates its orgs, user, roles, agents and a working key; a seed
/// that is refused (a registered e-mail, an org the key cannot act in)
/// leaves nothing behind.
pub async fn tenancy_seed_is_all_or_nothing<S: TestStore>(store: Arc<S>) {
    let seeded = store
        .seed_tenant(demo_seed("owner@demo.example", 0), at(1))
        .await
        .unwrap();
    assert_eq!(seeded.orgs.len(), 2);
    assert_eq!(seeded.orgs[1].name.as_str(), "Partner");
    assert_eq!(seeded.user.email.as_str(), "owner@demo.example");
    assert_eq!(seeded.agents.len(), 2);
    assert!(seeded.agents.iter().all(|a| a.org_id == seeded.orgs[0].id));
    let principal = store
        .authenticate("hash-owner@demo.example")
        .await
        .unwrap()
        .expect("the seeded key works");
    assert_eq!(principal.org_id, seeded.orgs[0].id);
    assert_eq!(principal.role, Role::Owner);
    assert_eq!(
        store
            .find_role(seeded.orgs[1].id, seeded.user.id)
            .await
            .unwrap(),
        Some(Role::Admin)
    );

    let orgs_before = walk(
        50,
        |o: &thunderphone_domain::Org| cursor(o.created_at, o.id.get()),
        |p| store.list_orgs(p),
    )
    .await
    .len();
    let mut again = demo_seed("Owner@Demo.example", 0);
    again.key_hash = "another-hash".into();
    assert_eq!(
        store.seed_tenant(again, at(2)).await,
        Err(RepoError::Duplicate("email"))
    );
    assert_eq!(
        store
            .seed_tenant(demo_seed("other@demo.example", 5), at(3))
            .await,
        Err(RepoError::InvalidReference(Reference::Membership))
    );
    let orgs_after = walk(
        50,
        |o: &thunderphone_domain::Org| cursor(o.created_at, o.id.get()),
        |p| store.list_orgs(p),
    )
    .await
    .len();
    assert_eq!(
        orgs_after, orgs_before,
        "a refused seed leaves no org behind"
    );
    assert_eq!(
        store
            .find_user_by_email(&email("other@demo.example"))
            .await
            .unwrap(),
        None,
        "nor a user"
    );
}

/// A user is found by e-mail (any case), with every membership by org.
pub async fn tenancy_finds_users_by_email_with_memberships<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    store
        .set_membership(globex.org_id, acme.user_id, Role::Member)
        .await
        .unwrap();
    let found = store
        .find_user_by_email(&email("ACME@example.com"))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(acme.user_id));
    assert_eq!(
        store
            .find_user_by_email(&email("nobody@example.com"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.user_memberships(acme.user_id).await.unwrap(),
        vec![
            Membership {
                org_id: acme.org_id,
                user_id: acme.user_id,
                role: Role::Owner
            },
            Membership {
                org_id: globex.org_id,
                user_id: acme.user_id,
                role: Role::Member
            },
        ]
    );
}

/// Orgs and users page newest first, each exactly once.
pub async fn tenancy_lists_orgs_and_users_newest_first<S: TestStore>(store: Arc<S>) {
    let mut orgs = Vec::new();
    let mut users = Vec::new();
    for i in 0..7 {
        // Pairs share a timestamp, so ties are broken by id.
        let t = at(i / 2);
        orgs.push(
            store
                .create_org(name(&format!("org {i}")), t)
                .await
                .unwrap(),
        );
        users.push(
            store
                .create_user(email(&format!("u{i}@example.com")), t)
                .await
                .unwrap(),
        );
    }
    orgs.reverse();
    users.reverse();
    let listed = walk(
        3,
        |o: &thunderphone_domain::Org| cursor(o.created_at, o.id.get()),
        |p| store.list_orgs(p),
    )
    .await;
    assert_eq!(listed, orgs);
    let listed = walk(
        2,
        |u: &thunderphone_domain::User| cursor(u.created_at, u.id.get()),
        |p| store.list_users(p),
    )
    .await;
    assert_eq!(listed, users);
}

/// An org's members page newest user first; an unknown org is `NotFound`;
/// other orgs' members never appear.
pub async fn tenancy_lists_members_of_one_org<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let mut expected = vec![Membership {
        org_id: acme.org_id,
        user_id: acme.user_id,
        role: Role::Owner,
    }];
    for i in 0..4 {
        let user = store
            .create_user(email(&format!("m{i}@example.com")), at(i + 1))
            .await
            .unwrap();
        let m = store
            .set_membership(acme.org_id, user.id, Role::Member)
            .await
            .unwrap();
        expected.push(m);
    }
    expected.reverse();
    let users: std::collections::HashMap<_, _> = walk(
        50,
        |u: &thunderphone_domain::User| cursor(u.created_at, u.id.get()),
        |p| store.list_users(p),
    )
    .await
    .into_iter()
    .map(|u| (u.id, cursor(u.created_at, u.id.get())))
    .collect();
    let listed = walk(
        2,
        |m: &Membership| users[&m.user_id],
        |p| store.list_members(acme.org_id, p),
    )
    .await;
    assert_eq!(listed, expected);
    assert!(listed.iter().all(|m| m.user_id != other.user_id));
    assert_eq!(
        store
            .list_members(missing_org(), PageRequest::first(limit(5)))
            .await,
        Err(RepoError::NotFound)
    );
}

/// Keys page newest first, filtered by org and user, revoked ones shown
/// with their revocation time.
pub async fn tenancy_lists_api_keys_by_org_and_user<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    store
        .set_membership(globex.org_id, acme.user_id, Role::Admin)
        .await
        .unwrap();
    let in_globex = store
        .create_api_key(acme.user_id, globex.org_id, "h-a-g".into(), at(1))
        .await
        .unwrap();
    let second = store
        .create_api_key(acme.user_id, acme.org_id, "h-a-a".into(), at(2))
        .await
        .unwrap();
    store.revoke_api_key(second.id, at(3)).await.unwrap();
    let key_cursor =
        |k: &thunderphone_ports::ListedApiKey| cursor(k.key.created_at, k.key.id.get());
    let ids = |filter: ApiKeyFilter| {
        let store = store.clone();
        async move {
            walk(1, key_cursor, |p| store.list_api_keys(filter, p))
                .await
                .into_iter()
                .map(|k| (k.key.id, k.revoked_at))
                .collect::<Vec<_>>()
        }
    };
    let all = ids(ApiKeyFilter::default()).await;
    assert_eq!(
        all,
        vec![
            (second.id, Some(at(3))),
            (in_globex.id, None),
            (globex.api_key_id, None),
            (acme.api_key_id, None),
        ]
    );
    let by_user = ids(ApiKeyFilter {
        org_id: None,
        user_id: Some(acme.user_id),
    })
    .await;
    assert_eq!(
        by_user,
        vec![
            (second.id, Some(at(3))),
            (in_globex.id, None),
            (acme.api_key_id, None)
        ]
    );
    let by_org = ids(ApiKeyFilter {
        org_id: Some(globex.org_id),
        user_id: None,
    })
    .await;
    assert_eq!(
        by_org,
        vec![(in_globex.id, None), (globex.api_key_id, None)]
    );
    let both = ids(ApiKeyFilter {
        org_id: Some(globex.org_id),
        user_id: Some(globex.user_id),
    })
    .await;
    assert_eq!(both, vec![(globex.api_key_id, None)]);
}
