//! The operator's lists (orgs, users, members, API keys) and the seeding
//! of a whole tenant in one transaction. The lists are keyset pages over
//! the indexes of migration `2026-12-03-000001_operator_lists`.

use diesel::prelude::*;
use thunderphone_domain::{
    Agent, AgentId, ApiKey, ApiKeyId, DisplayName, Email, Membership, Org, OrgId, Timestamp, User,
    UserId,
};
use thunderphone_ports::{
    ApiKeyFilter, ListCursor, ListedApiKey, Page, PageRequest, Reference, RepoError, SeededTenant,
    TenantSeed,
};

use crate::error::{Failure, corrupt};
use crate::page::{before, overfetch};
use crate::rows::{id, wire};
use crate::schema::{agents, api_keys, memberships, orgs, users};

fn org((raw, name, created_at): (i64, String, Timestamp)) -> Result<Org, Failure> {
    Ok(Org {
        id: id("org id", raw, OrgId::new)?,
        name: DisplayName::parse(&name).map_err(|e| corrupt("org name", e))?,
        created_at,
    })
}

fn user((raw, email, created_at): (i64, String, Timestamp)) -> Result<User, Failure> {
    Ok(User {
        id: id("user id", raw, UserId::new)?,
        email: Email::parse(&email).map_err(|e| corrupt("e-mail", e))?,
        created_at,
    })
}

fn membership((org_id, user_id, role): (i64, i64, String)) -> Result<Membership, Failure> {
    Ok(Membership {
        org_id: id("org id", org_id, OrgId::new)?,
        user_id: id("user id", user_id, UserId::new)?,
        role: wire("role", &role)?,
    })
}

type KeyRow = (i64, i64, i64, Timestamp, Option<Timestamp>);

fn listed_key(
    (raw, user_id, org_id, created_at, revoked_at): KeyRow,
) -> Result<ListedApiKey, Failure> {
    Ok(ListedApiKey {
        key: ApiKey {
            id: id("api key id", raw, ApiKeyId::new)?,
            user_id: id("user id", user_id, UserId::new)?,
            org_id: id("org id", org_id, OrgId::new)?,
            created_at,
        },
        revoked_at,
    })
}

fn cursor(created_at: Timestamp, id: i64) -> ListCursor {
    ListCursor { created_at, id }
}

/// Creates everything of `seed`; the caller runs it in a transaction.
pub(crate) fn seed_tenant(
    conn: &mut PgConnection,
    seed: TenantSeed,
    now: Timestamp,
) -> Result<SeededTenant, Failure> {
    let in_range = |index: usize| index < seed.orgs.len();
    if !seed.roles.iter().all(|(org, _)| in_range(*org))
        || !seed.agents.iter().all(|(org, _)| in_range(*org))
        || !seed.roles.iter().any(|(org, _)| *org == seed.key_org)
    {
        return Err(RepoError::InvalidReference(Reference::Membership).into());
    }
    let mut orgs = Vec::with_capacity(seed.orgs.len());
    for name in seed.orgs {
        let raw: i64 = diesel::insert_into(orgs::table)
            .values((orgs::name.eq(name.as_str()), orgs::created_at.eq(now)))
            .returning(orgs::id)
            .get_result(conn)?;
        orgs.push(Org {
            id: id("org id", raw, OrgId::new)?,
            name,
            created_at: now,
        });
    }
    let org_id = |index: usize| -> Result<OrgId, Failure> {
        orgs.get(index)
            .map(|o| o.id)
            .ok_or_else(|| RepoError::InvalidReference(Reference::Membership).into())
    };
    let raw_user: i64 = diesel::insert_into(users::table)
        .values((
            users::email.eq(seed.email.as_str()),
            users::created_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)
        .map_err(|e| duplicate(e.into(), "users_email_key", "email"))?;
    let user = User {
        id: id("user id", raw_user, UserId::new)?,
        email: seed.email,
        created_at: now,
    };
    for (org, role) in seed.roles {
        diesel::insert_into(memberships::table)
            .values((
                memberships::org_id.eq(org_id(org)?.get()),
                memberships::user_id.eq(raw_user),
                memberships::role.eq(role.as_str()),
            ))
            .on_conflict((memberships::org_id, memberships::user_id))
            .do_update()
            .set(memberships::role.eq(role.as_str()))
            .execute(conn)?;
    }
    let mut created_agents = Vec::with_capacity(seed.agents.len());
    for (org, name) in seed.agents {
        let in_org = org_id(org)?;
        let raw: i64 = diesel::insert_into(agents::table)
            .values((
                agents::org_id.eq(in_org.get()),
                agents::name.eq(name.as_str()),
                agents::created_at.eq(now),
            ))
            .returning(agents::id)
            .get_result(conn)?;
        created_agents.push(Agent {
            id: id("agent id", raw, AgentId::new)?,
            org_id: in_org,
            name,
            created_at: now,
        });
    }
    let key_org = org_id(seed.key_org)?;
    let raw_key: i64 = diesel::insert_into(api_keys::table)
        .values((
            api_keys::user_id.eq(raw_user),
            api_keys::org_id.eq(key_org.get()),
            api_keys::key_hash.eq(&seed.key_hash),
            api_keys::created_at.eq(now),
        ))
        .returning(api_keys::id)
        .get_result(conn)
        .map_err(|e| duplicate(e.into(), "api_keys_key_hash_key", "api key"))?;
    Ok(SeededTenant {
        orgs,
        key: ApiKey {
            id: id("api key id", raw_key, ApiKeyId::new)?,
            user_id: user.id,
            org_id: key_org,
            created_at: now,
        },
        user,
        agents: created_agents,
    })
}

/// Maps a unique violation of `constraint` to `Duplicate(what)`.
fn duplicate(failure: Failure, constraint: &str, what: &'static str) -> Failure {
    if failure.unique_violation() == Some(constraint) {
        RepoError::Duplicate(what).into()
    } else {
        failure
    }
}

pub(crate) fn find_user_by_email(
    conn: &mut PgConnection,
    email: &Email,
) -> Result<Option<User>, Failure> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select((users::id, users::email, users::created_at))
        .first(conn)
        .optional()?
        .map(user)
        .transpose()
}

pub(crate) fn user_memberships(
    conn: &mut PgConnection,
    user_id: UserId,
) -> Result<Vec<Membership>, Failure> {
    memberships::table
        .filter(memberships::user_id.eq(user_id.get()))
        .select((memberships::org_id, memberships::user_id, memberships::role))
        .order(memberships::org_id.asc())
        .load(conn)?
        .into_iter()
        .map(membership)
        .collect()
}

pub(crate) fn list_orgs(
    conn: &mut PgConnection,
    page: PageRequest<ListCursor>,
) -> Result<Page<Org, ListCursor>, Failure> {
    let mut query = orgs::table
        .select((orgs::id, orgs::name, orgs::created_at))
        .order((orgs::created_at.desc(), orgs::id.desc()))
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(before(after));
    }
    let items = query
        .load(conn)?
        .into_iter()
        .map(org)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |o| {
        cursor(o.created_at, o.id.get())
    }))
}

pub(crate) fn list_users(
    conn: &mut PgConnection,
    page: PageRequest<ListCursor>,
) -> Result<Page<User, ListCursor>, Failure> {
    let mut query = users::table
        .select((users::id, users::email, users::created_at))
        .order((users::created_at.desc(), users::id.desc()))
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(before(after));
    }
    let items = query
        .load(conn)?
        .into_iter()
        .map(user)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |u| {
        cursor(u.created_at, u.id.get())
    }))
}

pub(crate) fn list_members(
    conn: &mut PgConnection,
    org_id: OrgId,
    page: PageRequest<ListCursor>,
) -> Result<Page<Membership, ListCursor>, Failure> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(orgs::table.find(org_id.get()))).get_result(conn)?;
    if !exists {
        return Err(RepoError::NotFound.into());
    }
    // `created_at` and `id` of the cursor are the user's: memberships have
    // neither column, so the unqualified names of `before` are unambiguous.
    let mut query = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org_id.get()))
        .select((
            memberships::org_id,
            memberships::user_id,
            memberships::role,
            users::created_at,
        ))
        .order((users::created_at.desc(), users::id.desc()))
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(before(after));
    }
    let rows: Vec<(i64, i64, String, Timestamp)> = query.load(conn)?;
    let items = rows
        .into_iter()
        .map(|(org, user, role, created_at)| {
            Ok((cursor(created_at, user), membership((org, user, role))?))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let page = Page::from_overfetch(items, page.limit, |(c, _)| *c);
    Ok(Page {
        items: page.items.into_iter().map(|(_, m)| m).collect(),
        next: page.next,
    })
}

pub(crate) fn list_api_keys(
    conn: &mut PgConnection,
    filter: ApiKeyFilter,
    page: PageRequest<ListCursor>,
) -> Result<Page<ListedApiKey, ListCursor>, Failure> {
    let mut query = api_keys::table
        .select((
            api_keys::id,
            api_keys::user_id,
            api_keys::org_id,
            api_keys::created_at,
            api_keys::revoked_at,
        ))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(org_id) = filter.org_id {
        query = query.filter(api_keys::org_id.eq(org_id.get()));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(api_keys::user_id.eq(user_id.get()));
    }
    if let Some(after) = page.after {
        query = query.filter(before(after));
    }
    let items = query
        .load::<KeyRow>(conn)?
        .into_iter()
        .map(listed_key)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |k| {
        cursor(k.key.created_at, k.key.id.get())
    }))
}
