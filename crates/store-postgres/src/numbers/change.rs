//! Changing and deleting numbers. Every change is written with its
//! snapshot and its events in one transaction, only if the stored version
//! is the one the change was computed from.

use diesel::prelude::*;
use thunderphone_domain::{
    Actor, AgentId, CheckOutcome, Event, OrgId, PhoneNumber, PhoneNumberId, Timestamp, Updated,
    Version, VoipConnectionId,
};
use thunderphone_ports::{NumberChange, Reference, RepoError};

use crate::error::{Failure, corrupt};
use crate::events::{self, EventIds};
use crate::jobs;
use crate::prepared::Prepared;
use crate::rows::{NumberRow, NumberState, VersionRow, version};
use crate::schema::{agents, phone_number_versions, phone_numbers, voip_connections};
use crate::tenancy::require_org;

/// Writes `updated`, its snapshot and its events (`Event::of_change`;
/// `previous_org` held the number before the change, the source of a
/// transfer) if the number is live and still at `expected`: `UPDATE …
/// WHERE id = $1 AND version = $expected AND deleted_at IS NULL`. When no
/// row matched, tells `NotFound` (gone) from `VersionConflict` (another
/// change came first). Call inside a transaction.
pub(crate) fn write_change(
    conn: &mut PgConnection,
    expected: Version,
    updated: &Updated,
    actor: Option<Actor>,
    previous_org: OrgId,
    checks: Vec<CheckOutcome>,
) -> Result<(), Failure> {
    let number = &updated.number;
    // One row each, prepared (see `prepared.rs`; run by value through
    // RETURNING, the path on which Diesel honours `Prepared`).
    let written = Prepared(
        diesel::update(
            phone_numbers::table
                .find(number.id().get())
                .filter(phone_numbers::version.eq(expected.get()))
                .filter(phone_numbers::deleted_at.is_null()),
        )
        .set(NumberState::new(number))
        .returning(phone_numbers::id),
    )
    .get_result::<i64>(conn)
    .optional()
    .map_err(|e| reference_violation(e.into(), number))?;
    if written.is_none() {
        return Err(match live_version(conn, number.id())? {
            None => RepoError::NotFound.into(),
            Some(current) => RepoError::VersionConflict { current }.into(),
        });
    }
    let snapshot = number.snapshot(updated.change, actor);
    Prepared(
        diesel::insert_into(phone_number_versions::table)
            .values(VersionRow::new(&snapshot))
            .returning(phone_number_versions::version),
    )
    .get_result::<i64>(conn)?;
    let mut ids = EventIds::at(number.updated_at())?;
    let recorded = Event::of_change(previous_org, number, updated.change, actor, checks, || {
        ids.next_id()
    });
    events::record(conn, &recorded)?;
    jobs::settle(conn, number, false)
}

/// The version of a live number, if there is one.
fn live_version(conn: &mut PgConnection, id: PhoneNumberId) -> Result<Option<Version>, Failure> {
    phone_numbers::table
        .find(id.get())
        .filter(phone_numbers::deleted_at.is_null())
        .select(phone_numbers::version)
        .first::<i64>(conn)
        .optional()?
        .map(version)
        .transpose()
}

/// A foreign-key violation of a number's reference names the reference
/// (the backstop of [`check_references`]).
fn reference_violation(failure: Failure, number: &PhoneNumber) -> Failure {
    let reference = match failure.foreign_key_violation() {
        Some(name) => match name {
            "phone_numbers_org_id_fkey" => Some(Reference::Org(number.org_id().get())),
            "phone_numbers_inbound_agent_fkey" => number
                .inbound_agent_id()
                .map(|a| Reference::InboundAgent(a.get())),
            "phone_numbers_outbound_agent_fkey" => number
                .outbound_agent_id()
                .map(|a| Reference::OutboundAgent(a.get())),
            "phone_numbers_voip_connection_fkey" => number
                .voip_connection_id()
                .map(|c| Reference::VoipConnection(c.get())),
            _ => None,
        },
        _ => None,
    };
    reference.map_or(failure, |r| RepoError::InvalidReference(r).into())
}

/// Checks the references of `new` that differ from `old` (unchanged ones
/// are held in place by the foreign keys), in a fixed order: org, inbound
/// agent, outbound agent, connection. Each found row is key-share locked
/// until the transaction ends, so it cannot be deleted before the change
/// commits.
fn check_references(
    conn: &mut PgConnection,
    old: &PhoneNumber,
    new: &PhoneNumber,
) -> Result<(), Failure> {
    let org_id = new.org_id();
    let moved = org_id != old.org_id();
    if moved {
        require_org(conn, org_id)?;
    }
    let agents = [
        (
            new.inbound_agent_id(),
            old.inbound_agent_id(),
            Reference::InboundAgent as fn(i64) -> Reference,
        ),
        (
            new.outbound_agent_id(),
            old.outbound_agent_id(),
            Reference::OutboundAgent,
        ),
    ];
    for (agent, before, reference) in agents {
        if let Some(agent) = agent.filter(|a| moved || Some(*a) != before)
            && !agent_in_org(conn, org_id, agent)?
        {
            return Err(RepoError::InvalidReference(reference(agent.get())).into());
        }
    }
    if let Some(connection) = new
        .voip_connection_id()
        .filter(|c| moved || Some(*c) != old.voip_connection_id())
        && !connection_in_org(conn, org_id, connection)?
    {
        return Err(
            RepoError::InvalidReference(Reference::VoipConnection(connection.get())).into(),
        );
    }
    Ok(())
}

/// Whether the agent exists in the org; key-share locks it.
fn agent_in_org(conn: &mut PgConnection, org_id: OrgId, agent: AgentId) -> Result<bool, Failure> {
    let found = agents::table
        .find(agent.get())
        .filter(agents::org_id.eq(org_id.get()))
        .select(agents::id)
        .for_key_share()
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Whether the connection exists in the org; key-share locks it.
fn connection_in_org(
    conn: &mut PgConnection,
    org_id: OrgId,
    connection: VoipConnectionId,
) -> Result<bool, Failure> {
    let found = voip_connections::table
        .find(connection.get())
        .filter(voip_connections::org_id.eq(org_id.get()))
        .select(voip_connections::id)
        .for_key_share()
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// A live number (of `org_id` when given), row-locked for the rest of the
/// transaction.
fn lock_live(
    conn: &mut PgConnection,
    id: PhoneNumberId,
    org_id: Option<OrgId>,
) -> Result<Option<PhoneNumber>, Failure> {
    let live = phone_numbers::table
        .find(id.get())
        .filter(phone_numbers::deleted_at.is_null());
    let row = match org_id {
        Some(org_id) => live
            .filter(phone_numbers::org_id.eq(org_id.get()))
            .select(NumberRow::as_select())
            .for_update()
            .first(conn),
        None => live.select(NumberRow::as_select()).for_update().first(conn),
    };
    row.optional()?.map(NumberRow::into_domain).transpose()
}

/// `save_change`: one transaction that locks the number, decides
/// `NotFound` / `VersionConflict` (in that order, before anything else),
/// checks the successor and the new references, and writes the change
/// with its snapshot.
pub(super) fn save(conn: &mut PgConnection, change: NumberChange) -> Result<PhoneNumber, Failure> {
    conn.transaction(|conn| {
        let NumberChange {
            expected,
            updated,
            actor,
            checks,
        } = change;
        let new = &updated.number;
        let old = lock_live(conn, new.id(), None)?.ok_or(RepoError::NotFound)?;
        if old.version() != expected {
            return Err(RepoError::VersionConflict {
                current: old.version(),
            }
            .into());
        }
        if new.version() != expected.next()
            || new.number() != old.number()
            || new.source() != old.source()
            || new.created_at() != old.created_at()
        {
            return Err(corrupt(
                "change",
                format_args!(
                    "number {} is not a successor of version {expected}",
                    old.id()
                ),
            ));
        }
        check_references(conn, &old, new)?;
        write_change(conn, expected, &updated, actor, old.org_id(), checks)?;
        Ok(updated.number)
    })
}

/// `delete_number`: soft delete. The row and its history stay; the number
/// lets go of its agents and connection (so they can be deleted) and of
/// its E.164 number (the unique index covers live rows only), a pool
/// number's row is free again, and `phone_number.deleted` is recorded
/// with the number as it was.
pub(super) fn delete(
    conn: &mut PgConnection,
    org_id: OrgId,
    id: PhoneNumberId,
    expected: Option<Version>,
    now: Timestamp,
    actor: Option<Actor>,
) -> Result<PhoneNumber, Failure> {
    let mut ids = EventIds::at(now)?;
    conn.transaction(|conn| {
        let number = lock_live(conn, id, Some(org_id))?.ok_or(RepoError::NotFound)?;
        if expected.is_some_and(|e| e != number.version()) {
            return Err(RepoError::VersionConflict {
                current: number.version(),
            }
            .into());
        }
        diesel::update(phone_numbers::table.find(id.get()))
            .set((
                phone_numbers::deleted_at.eq(diesel::dsl::now),
                phone_numbers::inbound_agent_id.eq(None::<i64>),
                phone_numbers::outbound_agent_id.eq(None::<i64>),
                phone_numbers::voip_connection_id.eq(None::<i64>),
            ))
            .execute(conn)?;
        jobs::settle(conn, &number, true)?;
        super::pool::release(conn, number.number())?;
        events::record(conn, &[Event::deleted(&number, actor, now, ids.next_id())])?;
        Ok(number)
    })
}
