//! Reading numbers and their history.

use diesel::prelude::*;
use thunderphone_domain::{OrgId, PhoneNumber, PhoneNumberId, Version, VersionSnapshot};
use thunderphone_ports::{Authenticated, ListCursor, NumberFilter, Page, PageRequest, RepoError};

use crate::error::Failure;
use crate::page::{before, overfetch};
use crate::rows::{NumberRow, VersionRow, numbers};
use crate::schema::{api_keys, phone_number_versions, phone_numbers};
use crate::tenancy::{PRINCIPAL_COLUMNS, PrincipalRow, authenticate, keys_with_role, principal};

/// A not-deleted number, of `org_id` when given.
pub(super) fn find(
    conn: &mut PgConnection,
    org_id: Option<OrgId>,
    id: PhoneNumberId,
) -> Result<Option<PhoneNumber>, Failure> {
    let mut query = phone_numbers::table
        .find(id.get())
        .filter(phone_numbers::deleted_at.is_null())
        .select(NumberRow::as_select())
        .into_boxed();
    if let Some(org_id) = org_id {
        query = query.filter(phone_numbers::org_id.eq(org_id.get()));
    }
    query
        .first(conn)
        .optional()?
        .map(NumberRow::into_domain)
        .transpose()
}

/// Authenticates `key_hash` and reads number `id` of the key's org in one
/// statement: the key's row, its membership and (left-joined, so a missing
/// number still returns the principal) the number.
pub(super) fn find_for_key(
    conn: &mut PgConnection,
    key_hash: &str,
    id: PhoneNumberId,
) -> Result<Option<Authenticated<Option<PhoneNumber>>>, Failure> {
    let found: Option<(PrincipalRow, Option<NumberRow>)> = keys_with_role()
        .left_join(
            phone_numbers::table.on(phone_numbers::id
                .eq(id.get())
                .and(phone_numbers::org_id.eq(api_keys::org_id))
                .and(phone_numbers::deleted_at.is_null())),
        )
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select((PRINCIPAL_COLUMNS, Option::<NumberRow>::as_select()))
        .first(conn)
        .optional()?;
    found
        .map(|(key, number)| {
            Ok(Authenticated {
                principal: principal(key)?,
                value: number.map(NumberRow::into_domain).transpose()?,
            })
        })
        .transpose()
}

/// Authenticates `key_hash`, then reads a page of the key's org on the
/// same connection.
pub(super) fn list_for_key(
    conn: &mut PgConnection,
    key_hash: &str,
    filter: &NumberFilter,
    page: PageRequest<ListCursor>,
) -> Result<Option<Authenticated<Page<PhoneNumber, ListCursor>>>, Failure> {
    let Some(principal) = authenticate(conn, key_hash)? else {
        return Ok(None);
    };
    Ok(Some(Authenticated {
        principal,
        value: list(conn, principal.org_id, filter, page)?,
    }))
}

/// One page of an org's not-deleted numbers matching `filter`.
pub(super) fn list(
    conn: &mut PgConnection,
    org_id: OrgId,
    filter: &NumberFilter,
    page: PageRequest<ListCursor>,
) -> Result<Page<PhoneNumber, ListCursor>, Failure> {
    let mut query = phone_numbers::table
        .filter(phone_numbers::org_id.eq(org_id.get()))
        .filter(phone_numbers::deleted_at.is_null())
        .select(NumberRow::as_select())
        .order((phone_numbers::created_at.desc(), phone_numbers::id.desc()))
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(phone_numbers::status.eq(status.as_str()));
    }
    if let Some(source) = filter.source {
        query = query.filter(phone_numbers::source.eq(source.as_str()));
    }
    if let Some(agent) = filter.inbound_agent_id {
        query = query.filter(phone_numbers::inbound_agent_id.eq(agent.get()));
    }
    if let Some(agent) = filter.outbound_agent_id {
        query = query.filter(phone_numbers::outbound_agent_id.eq(agent.get()));
    }
    if let Some(connection) = filter.voip_connection_id {
        query = query.filter(phone_numbers::voip_connection_id.eq(connection.get()));
    }
    if let Some(area_code) = filter.area_code {
        // `E164::area_code`: a `+1` number of ten digits starting with it.
        // Area codes are three digits, so the pattern has no wildcards of
        // its own.
        query = query.filter(phone_numbers::number.like(format!("+1{area_code}_______")));
    }
    if let Some(after) = page.after {
        query = query.filter(before(after));
    }
    let items = numbers(query.load(conn)?)?;
    Ok(Page::from_overfetch(items, page.limit, |n| ListCursor {
        created_at: n.created_at(),
        id: n.id().get(),
    }))
}

/// One page of the snapshots `org_id` recorded while holding the number.
pub(super) fn versions(
    conn: &mut PgConnection,
    org_id: OrgId,
    id: PhoneNumberId,
    page: PageRequest<Version>,
) -> Result<Page<VersionSnapshot, Version>, Failure> {
    // One snapshot for both reads: the number is held by the org, and
    // these are its snapshots.
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            let held: Option<i64> = phone_numbers::table
                .find(id.get())
                .filter(phone_numbers::org_id.eq(org_id.get()))
                .filter(phone_numbers::deleted_at.is_null())
                .select(phone_numbers::id)
                .first(conn)
                .optional()?;
            if held.is_none() {
                return Err(RepoError::NotFound.into());
            }
            let mut query = phone_number_versions::table
                .filter(phone_number_versions::phone_number_id.eq(id.get()))
                .filter(phone_number_versions::org_id.eq(org_id.get()))
                .select(VersionRow::as_select())
                .order(phone_number_versions::version.desc())
                .limit(overfetch(page.limit))
                .into_boxed();
            if let Some(after) = page.after {
                query = query.filter(phone_number_versions::version.lt(after.get()));
            }
            let items = query
                .load(conn)?
                .into_iter()
                .map(VersionRow::into_domain)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(items, page.limit, |s| s.version))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use thunderphone_ports::PageLimit;

    use super::*;
    use crate::tests::{migrated_connection, prepared_statements};

    /// The hot reads are prepared once per connection and reused: the
    /// keyed find and a list page after a cursor (whose row comparison
    /// used to be a SQL literal, which Diesel never prepares).
    #[test]
    fn hot_reads_are_prepared_once_per_connection() {
        let (_db, mut conn) = migrated_connection();
        let org = OrgId::new(1).unwrap();
        let page = PageRequest {
            limit: PageLimit::new(10).unwrap(),
            after: Some(ListCursor {
                created_at: chrono::Utc::now(),
                id: 5,
            }),
        };
        for _ in 0..3 {
            let listed = list(&mut conn, org, &NumberFilter::default(), page).unwrap();
            assert!(listed.items.is_empty());
            let found = find_for_key(&mut conn, "no-such-hash", PhoneNumberId::new(1).unwrap());
            assert_eq!(found.unwrap(), None);
        }
        assert_eq!(
            prepared_statements(&mut conn, "(created_at, id) < ("),
            1,
            "list page"
        );
        assert_eq!(prepared_statements(&mut conn, "key_hash"), 1, "keyed find");
    }
}
