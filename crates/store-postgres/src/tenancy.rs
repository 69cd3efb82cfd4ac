//! Orgs, users, memberships and API keys.

use async_trait::async_trait;
use diesel::dsl::{exists, select};
use diesel::prelude::*;
use thunderphone_domain::{
    ApiKey, ApiKeyId, DisplayName, Email, Membership, Org, OrgId, Principal, Role, Timestamp, User,
    UserId,
};
use thunderphone_ports::{
    ApiKeyFilter, ListCursor, ListedApiKey, Page, PageRequest, Reference, RepoError, SeededTenant,
    TenancyRepository, TenantSeed,
};

use crate::PgStore;
use crate::error::{Failure, corrupt};
use crate::rows::{id, wire};
use crate::schema::{api_keys, memberships, orgs, users};

/// Maps a unique violation of `constraint` to `Duplicate(what)`.
fn duplicate(failure: Failure, constraint: &str, what: &'static str) -> Failure {
    if failure.unique_violation() == Some(constraint) {
        RepoError::Duplicate(what).into()
    } else {
        failure
    }
}

/// The columns of an API key's principal, as [`principal`] decodes them.
pub(crate) type PrincipalColumns = (
    api_keys::id,
    api_keys::user_id,
    api_keys::org_id,
    memberships::role,
);

/// The principal columns, for a `select`.
pub(crate) const PRINCIPAL_COLUMNS: PrincipalColumns = (
    api_keys::id,
    api_keys::user_id,
    api_keys::org_id,
    memberships::role,
);

/// A row of [`PrincipalColumns`].
pub(crate) type PrincipalRow = (i64, i64, i64, String);

/// The join condition of [`keys_with_role`].
type KeyMembership = diesel::dsl::And<
    diesel::dsl::Eq<memberships::org_id, api_keys::org_id>,
    diesel::dsl::Eq<memberships::user_id, api_keys::user_id>,
>;

/// `api_keys` joined with the key's membership (its role in the key's org).
pub(crate) fn keys_with_role()
-> diesel::dsl::InnerJoinOn<api_keys::table, memberships::table, KeyMembership> {
    api_keys::table.inner_join(
        memberships::table.on(memberships::org_id
            .eq(api_keys::org_id)
            .and(memberships::user_id.eq(api_keys::user_id))),
    )
}

/// Decodes a [`PrincipalRow`].
pub(crate) fn principal((key, user, org, role): PrincipalRow) -> Result<Principal, Failure> {
    Ok(Principal {
        api_key_id: id("api key id", key, ApiKeyId::new)?,
        user_id: id("user id", user, UserId::new)?,
        org_id: id("org id", org, OrgId::new)?,
        role: wire("role", &role)?,
    })
}

/// The principal of a live (not revoked) key, or `None`.
pub(crate) fn authenticate(
    conn: &mut PgConnection,
    key_hash: &str,
) -> Result<Option<Principal>, Failure> {
    keys_with_role()
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(PRINCIPAL_COLUMNS)
        .first::<PrincipalRow>(conn)
        .optional()?
        .map(principal)
        .transpose()
}

/// `InvalidReference(Org)` unless the org exists; locks it against
/// deletion until the transaction ends.
pub(crate) fn require_org(conn: &mut PgConnection, org_id: OrgId) -> Result<(), Failure> {
    let found = orgs::table
        .find(org_id.get())
        .select(orgs::id)
        .for_key_share()
        .first::<i64>(conn)
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(RepoError::InvalidReference(Reference::Org(org_id.get())).into()),
    }
}

#[async_trait]
impl TenancyRepository for PgStore {
    async fn create_org(&self, name: DisplayName, now: Timestamp) -> Result<Org, RepoError> {
        self.run("create_org", move |conn| {
            let raw: i64 = diesel::insert_into(orgs::table)
                .values((orgs::name.eq(name.as_str()), orgs::created_at.eq(now)))
                .returning(orgs::id)
                .get_result(conn)?;
            Ok(Org {
                id: id("org id", raw, OrgId::new)?,
                name,
                created_at: now,
            })
        })
        .await
    }

    async fn create_user(&self, email: Email, now: Timestamp) -> Result<User, RepoError> {
        self.run("create_user", move |conn| {
            let raw: i64 = diesel::insert_into(users::table)
                .values((users::email.eq(email.as_str()), users::created_at.eq(now)))
                .returning(users::id)
                .get_result(conn)
                .map_err(|e| duplicate(e.into(), "users_email_key", "email"))?;
            Ok(User {
                id: id("user id", raw, UserId::new)?,
                email,
                created_at: now,
            })
        })
        .await
    }

    async fn set_membership(
        &self,
        org_id: OrgId,
        user_id: UserId,
        role: Role,
    ) -> Result<Membership, RepoError> {
        self.run("set_membership", move |conn| {
            conn.transaction(|conn| {
                require_org(conn, org_id)?;
                let user_exists: bool =
                    select(exists(users::table.find(user_id.get()))).get_result(conn)?;
                if !user_exists {
                    return Err(RepoError::InvalidReference(Reference::User(user_id.get())).into());
                }
                diesel::insert_into(memberships::table)
                    .values((
                        memberships::org_id.eq(org_id.get()),
                        memberships::user_id.eq(user_id.get()),
                        memberships::role.eq(role.as_str()),
                    ))
                    .on_conflict((memberships::org_id, memberships::user_id))
                    .do_update()
                    .set(memberships::role.eq(role.as_str()))
                    .execute(conn)?;
                Ok(Membership {
                    org_id,
                    user_id,
                    role,
                })
            })
        })
        .await
    }

    async fn find_role(&self, org_id: OrgId, user_id: UserId) -> Result<Option<Role>, RepoError> {
        self.run("find_role", move |conn| {
            let role: Option<String> = memberships::table
                .find((org_id.get(), user_id.get()))
                .select(memberships::role)
                .first(conn)
                .optional()?;
            role.map(|r| wire("role", &r)).transpose()
        })
        .await
    }

    async fn create_api_key(
        &self,
        user_id: UserId,
        org_id: OrgId,
        key_hash: String,
        now: Timestamp,
    ) -> Result<ApiKey, RepoError> {
        self.run("create_api_key", move |conn| {
            conn.transaction(|conn| {
                // Memberships are never removed, but lock it anyway so the
                // key and its membership are consistent at commit.
                let member = memberships::table
                    .find((org_id.get(), user_id.get()))
                    .select(memberships::role)
                    .for_key_share()
                    .first::<String>(conn)
                    .optional()?;
                if member.is_none() {
                    return Err(RepoError::InvalidReference(Reference::Membership).into());
                }
                let raw: i64 = diesel::insert_into(api_keys::table)
                    .values((
                        api_keys::user_id.eq(user_id.get()),
                        api_keys::org_id.eq(org_id.get()),
                        api_keys::key_hash.eq(&key_hash),
                        api_keys::created_at.eq(now),
                    ))
                    .returning(api_keys::id)
                    .get_result(conn)
                    .map_err(|e| duplicate(e.into(), "api_keys_key_hash_key", "api key"))?;
                Ok(ApiKey {
                    id: id("api key id", raw, ApiKeyId::new)?,
                    user_id,
                    org_id,
                    created_at: now,
                })
            })
        })
        .await
    }

    async fn authenticate(&self, key_hash: &str) -> Result<Option<Principal>, RepoError> {
        let key_hash = key_hash.to_owned();
        self.run("authenticate", move |conn| authenticate(conn, &key_hash))
            .await
    }

    async fn revoke_api_key(&self, key: ApiKeyId, now: Timestamp) -> Result<(), RepoError> {
        self.run("revoke_api_key", move |conn| {
            let revoked = diesel::update(
                api_keys::table
                    .find(key.get())
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(now))
            .execute(conn)?;
            match revoked {
                0 => Err(RepoError::NotFound.into()),
                1 => Ok(()),
                n => Err(corrupt("api key", format_args!("{n} rows share id {key}"))),
            }
        })
        .await
    }

    async fn seed_tenant(
        &self,
        seed: TenantSeed,
        now: Timestamp,
    ) -> Result<SeededTenant, RepoError> {
        self.run("seed_tenant", move |conn| {
            conn.transaction(|conn| crate::tenancy_lists::seed_tenant(conn, seed, now))
        })
        .await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        let email = email.clone();
        self.run("find_user_by_email", move |conn| {
            crate::tenancy_lists::find_user_by_email(conn, &email)
        })
        .await
    }

    async fn user_memberships(&self, user_id: UserId) -> Result<Vec<Membership>, RepoError> {
        self.run("user_memberships", move |conn| {
            crate::tenancy_lists::user_memberships(conn, user_id)
        })
        .await
    }

    async fn list_orgs(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Org, ListCursor>, RepoError> {
        self.run("list_orgs", move |conn| {
            crate::tenancy_lists::list_orgs(conn, page)
        })
        .await
    }

    async fn list_users(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<User, ListCursor>, RepoError> {
        self.run("list_users", move |conn| {
            crate::tenancy_lists::list_users(conn, page)
        })
        .await
    }

    async fn list_members(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Membership, ListCursor>, RepoError> {
        self.run("list_members", move |conn| {
            crate::tenancy_lists::list_members(conn, org_id, page)
        })
        .await
    }

    async fn list_api_keys(
        &self,
        filter: ApiKeyFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<ListedApiKey, ListCursor>, RepoError> {
        self.run("list_api_keys", move |conn| {
            crate::tenancy_lists::list_api_keys(conn, filter, page)
        })
        .await
    }
}
