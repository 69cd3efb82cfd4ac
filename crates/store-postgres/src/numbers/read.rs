//! Reading numbers and their history.

use diesel::prelude::*;
use thunderphone_domain::{OrgId, PhoneNumber, PhoneNumberId, Version, VersionSnapshot};
use thunderphone_ports::{ListCursor, NumberFilter, Page, PageRequest, RepoError};

use crate::error::Failure;
use crate::page::{before, overfetch};
use crate::rows::{NumberRow, VersionRow, numbers};
use crate::schema::{phone_number_versions, phone_numbers};

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
