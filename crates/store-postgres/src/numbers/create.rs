//! Creating numbers: what a carrier claim inserts, and batch imports.
//! Each new number is recorded with its version 1 and its
//! `phone_number.created` event. (A pool claim writes the same rows in one
//! statement: `claim.rs`; keep the two in step.)

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::Int8;
use diesel::upsert::DecoratableTarget;
use thunderphone_domain::{
    Actor, ChangeKind, E164, Event, NewPhoneNumber, PhoneNumber, PhoneNumberId,
};
use thunderphone_ports::{Reference, RepoError};

use super::pool;
use crate::error::{Failure, corrupt};
use crate::events::{self, EventIds, EventRow};
use crate::jobs;
use crate::prepared::Prepared;
use crate::rows::{NewNumberRow, VersionRow, id};
use crate::schema::{orgs, phone_number_versions, phone_numbers, voip_connections};

/// The unique index behind "one holder per number".
const HELD_INDEX: &str = "phone_numbers_number_held";

/// Rows per multi-row INSERT, well below Postgres' 65,535 bind parameters.
const INSERT_CHUNK: usize = 1_000;

/// Attempts of a batch import that lost a race for one of its numbers.
const IMPORT_ATTEMPTS: usize = 3;

/// A row of [`NEXT_IDS`].
#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = Int8)]
    id: i64,
}

/// `$1` ids from the phone numbers' identity sequence, so the domain can
/// build each new number (`NewPhoneNumber::into_created`) before it is
/// written, and the row written is exactly the number returned.
const NEXT_IDS: &str = "\
    SELECT nextval(pg_get_serial_sequence('phone_numbers', 'id')) AS id \
    FROM generate_series(1, $1)";

pub(super) fn next_ids(
    conn: &mut PgConnection,
    count: usize,
) -> Result<Vec<PhoneNumberId>, Failure> {
    let count = i64::try_from(count).map_err(|e| corrupt("batch size", e))?;
    diesel::sql_query(NEXT_IDS)
        .bind::<Int8, _>(count)
        .load::<NextId>(conn)?
        .into_iter()
        .map(|row| id("phone number id", row.id, PhoneNumberId::new))
        .collect()
}

/// Inserts the `created` snapshots and events of new numbers.
fn record_created(
    conn: &mut PgConnection,
    numbers: &[PhoneNumber],
    actor: Option<Actor>,
) -> Result<(), Failure> {
    let rows: Vec<VersionRow> = numbers
        .iter()
        .map(|n| VersionRow::new(&n.snapshot(ChangeKind::Created, actor)))
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        diesel::insert_into(phone_number_versions::table)
            .values(chunk)
            .execute(conn)?;
    }
    let mut event_rows = Vec::with_capacity(numbers.len());
    for number in numbers {
        let mut ids = EventIds::at(number.created_at())?;
        event_rows.push(EventRow::new(&Event::created(
            number,
            actor,
            ids.next_id(),
        ))?);
    }
    events::insert(conn, &event_rows)
}

/// Inserts a claimed number unless a live number holds it already (or a
/// racing transaction inserts it first: `ON CONFLICT … DO NOTHING` on the
/// live-number index waits for that one to finish), then its version 1,
/// its `phone_number.created` event and its activation job. `false` when the number was held. The pool
/// claim's statement (`claim.rs`) is the same in SQL.
pub(super) fn insert_claimed(
    conn: &mut PgConnection,
    created: &PhoneNumber,
    actor: Option<Actor>,
) -> Result<bool, Failure> {
    // Single rows, prepared (see `prepared.rs`; run by value through
    // RETURNING, the path on which Diesel honours `Prepared`).
    let inserted = Prepared(
        diesel::insert_into(phone_numbers::table)
            .values(NewNumberRow::new(created))
            .on_conflict(phone_numbers::number)
            .filter_target(phone_numbers::deleted_at.is_null())
            .do_nothing()
            .returning(phone_numbers::id),
    )
    .get_result::<i64>(conn)
    .optional()?;
    if inserted.is_none() {
        return Ok(false);
    }
    let snapshot = created.snapshot(ChangeKind::Created, actor);
    Prepared(
        diesel::insert_into(phone_number_versions::table)
            .values(VersionRow::new(&snapshot))
            .returning(phone_number_versions::version),
    )
    .get_result::<i64>(conn)?;
    let id = EventIds::at(created.created_at())?.next_id();
    events::record(conn, &[Event::created(created, actor, id)])?;
    jobs::start(conn, created)?;
    Ok(true)
}

/// `insert_numbers`: all or nothing, in one transaction. When a racing
/// writer takes one of the numbers between the check and the insert (the
/// unique index refuses it), the whole batch is tried again, so the error
/// then lists every taken number as the check does.
pub(super) fn insert(
    conn: &mut PgConnection,
    drafts: &[NewPhoneNumber],
    actor: Option<Actor>,
) -> Result<Vec<PhoneNumber>, Failure> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    for _ in 0..IMPORT_ATTEMPTS {
        let outcome = conn.transaction(|conn| insert_once(conn, drafts, actor));
        match outcome {
            Err(failure) if failure.unique_violation() == Some(HELD_INDEX) => {
                tracing::debug!("import lost a race for a number; checking again");
            }
            other => return other,
        }
    }
    // Still losing races: report what is held now.
    match taken_numbers(conn, drafts)? {
        taken if taken.is_empty() => {
            Err(RepoError::unexpected("import kept losing races; gave up").into())
        }
        taken => Err(RepoError::NumbersTaken(taken).into()),
    }
}

fn insert_once(
    conn: &mut PgConnection,
    drafts: &[NewPhoneNumber],
    actor: Option<Actor>,
) -> Result<Vec<PhoneNumber>, Failure> {
    check_draft_references(conn, drafts)?;
    let taken = taken_numbers(conn, drafts)?;
    if !taken.is_empty() {
        return Err(RepoError::NumbersTaken(taken).into());
    }
    // Pool rows first (the lock order of every claim), so claimers skip
    // the numbers being imported.
    pool::hold(conn, drafts.iter().map(NewPhoneNumber::number))?;
    let ids = next_ids(conn, drafts.len())?;
    if ids.len() != drafts.len() {
        return Err(corrupt("id sequence", "too few ids"));
    }
    let created: Vec<PhoneNumber> = drafts
        .iter()
        .zip(ids)
        .map(|(draft, id)| draft.clone().into_created(id))
        .collect();
    let rows: Vec<NewNumberRow<'_>> = created.iter().map(NewNumberRow::new).collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        diesel::insert_into(phone_numbers::table)
            .values(chunk)
            .execute(conn)?;
    }
    record_created(conn, &created, actor)?;
    Ok(created)
}

/// Every org must exist and every connection be one of its number's org,
/// checked in input order (org first) so the first bad reference is
/// named. Found rows are key-share locked until the transaction ends.
fn check_draft_references(
    conn: &mut PgConnection,
    drafts: &[NewPhoneNumber],
) -> Result<(), Failure> {
    let org_ids: Vec<i64> = unique(drafts.iter().map(|d| d.org_id().get()));
    let known_orgs: HashSet<i64> = orgs::table
        .filter(orgs::id.eq_any(&org_ids))
        .select(orgs::id)
        .for_key_share()
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let connection_ids: Vec<i64> = unique(
        drafts
            .iter()
            .filter_map(|d| d.voip_connection_id())
            .map(|c| c.get()),
    );
    let connection_orgs: HashMap<i64, i64> = if connection_ids.is_empty() {
        HashMap::new()
    } else {
        voip_connections::table
            .filter(voip_connections::id.eq_any(&connection_ids))
            .select((voip_connections::id, voip_connections::org_id))
            .for_key_share()
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect()
    };
    for draft in drafts {
        let org = draft.org_id().get();
        if !known_orgs.contains(&org) {
            return Err(RepoError::InvalidReference(Reference::Org(org)).into());
        }
        if let Some(connection) = draft.voip_connection_id()
            && connection_orgs.get(&connection.get()) != Some(&org)
        {
            return Err(
                RepoError::InvalidReference(Reference::VoipConnection(connection.get())).into(),
            );
        }
    }
    Ok(())
}

/// The numbers of the batch already held by a live number, or repeated
/// within the batch (taken by their first copy), each once, in input
/// order.
fn taken_numbers(conn: &mut PgConnection, drafts: &[NewPhoneNumber]) -> Result<Vec<E164>, Failure> {
    let wanted: Vec<&str> = drafts.iter().map(|d| d.number().as_str()).collect();
    let held: HashSet<String> = phone_numbers::table
        .filter(phone_numbers::number.eq_any(&wanted))
        .filter(phone_numbers::deleted_at.is_null())
        .select(phone_numbers::number)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let mut taken: Vec<E164> = Vec::new();
    for draft in drafts {
        let number = draft.number();
        let repeated = !seen.insert(number);
        if (repeated || held.contains(number.as_str())) && !taken.contains(number) {
            taken.push(number.clone());
        }
    }
    Ok(taken)
}

/// The distinct values, in first-seen order.
fn unique(values: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}
