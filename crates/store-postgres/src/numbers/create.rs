//! Creating numbers: the demo pool and batch imports.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int8, Text};
use diesel::upsert::DecoratableTarget;
use thunderphone_domain::{
    Actor, ChangeKind, E164, NewPhoneNumber, OrgId, PhoneNumber, PhoneNumberId, Timestamp,
};
use thunderphone_ports::{Reference, RepoError};

use crate::error::{Failure, corrupt};
use crate::jobs;
use crate::rows::{NewNumberRow, VersionRow, id};
use crate::schema::{orgs, phone_number_versions, phone_numbers, voip_connections};

/// The unique index behind "one holder per number".
const HELD_INDEX: &str = "phone_numbers_number_held";

/// Rows per multi-row INSERT, well below Postgres' 65,535 bind parameters.
const INSERT_CHUNK: usize = 1_000;

/// Attempts of a batch import that lost a race for one of its numbers.
const IMPORT_ATTEMPTS: usize = 3;

/// A row of [`FIRST_FREE`].
#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// The first candidate (1-based position in `$1`) that no live number
/// holds. For the demo pool the candidates come from the domain
/// (`AreaCode::demo_pool_numbers`, area codes in the caller's order), so
/// the pool is defined in one place.
const FIRST_FREE: &str = "\
    SELECT pool.position FROM unnest($1::text[]) WITH ORDINALITY AS pool(number, position) \
    WHERE NOT EXISTS (\
        SELECT 1 FROM phone_numbers p WHERE p.number = pool.number AND p.deleted_at IS NULL\
    ) \
    ORDER BY pool.position LIMIT 1";

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

fn next_ids(conn: &mut PgConnection, count: usize) -> Result<Vec<PhoneNumberId>, Failure> {
    let count = i64::try_from(count).map_err(|e| corrupt("batch size", e))?;
    diesel::sql_query(NEXT_IDS)
        .bind::<Int8, _>(count)
        .load::<NextId>(conn)?
        .into_iter()
        .map(|row| id("phone number id", row.id, PhoneNumberId::new))
        .collect()
}

/// Inserts the `created` snapshots of new numbers.
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
    Ok(())
}

/// The outcome of one claim attempt.
enum Attempt {
    Claimed(PhoneNumber),
    NoneFree,
    /// A racing transaction took the chosen number first.
    LostRace,
}

/// `claim_pool_number` and `claim_first_free`: takes the first of
/// `candidates` nobody holds. Each attempt is one transaction: find the
/// first free candidate, insert it unless a racing claim (or import) took
/// it meanwhile (`ON CONFLICT … DO NOTHING` on the live-number index, which
/// waits for the racing transaction to finish), record version 1 and queue
/// the activation job. A lost race retries with the next free candidate;
/// every lost race means another caller got a number, so the attempts are
/// bounded by the candidates.
pub(super) fn claim(
    conn: &mut PgConnection,
    org_id: OrgId,
    candidates: &[E164],
    now: Timestamp,
    actor: Option<Actor>,
) -> Result<Option<PhoneNumber>, Failure> {
    if candidates.is_empty() {
        return Ok(None);
    }
    let org_exists: bool =
        diesel::select(diesel::dsl::exists(orgs::table.find(org_id.get()))).get_result(conn)?;
    if !org_exists {
        // The port allows no reference error here: an unknown org is a bug.
        return Err(RepoError::Unexpected(format!("org {org_id} does not exist")).into());
    }
    let texts: Vec<&str> = candidates.iter().map(E164::as_str).collect();
    for _ in 0..candidates.len().saturating_add(16) {
        let attempt = conn.transaction(|conn| {
            let free = diesel::sql_query(FIRST_FREE)
                .bind::<Array<Text>, _>(&texts)
                .get_result::<Position>(conn)
                .optional()?;
            let Some(free) = free else {
                return Ok(Attempt::NoneFree);
            };
            let number = usize::try_from(free.position)
                .ok()
                .and_then(|p| p.checked_sub(1))
                .and_then(|i| candidates.get(i))
                .ok_or_else(|| corrupt("pool position", free.position))?;
            let [id] = next_ids(conn, 1)?[..] else {
                return Err(corrupt("id sequence", "no id"));
            };
            let created = NewPhoneNumber::demo(org_id, number.clone(), now).into_created(id);
            let inserted = diesel::insert_into(phone_numbers::table)
                .values(NewNumberRow::new(&created))
                .on_conflict(phone_numbers::number)
                .filter_target(phone_numbers::deleted_at.is_null())
                .do_nothing()
                .execute(conn)?;
            if inserted == 0 {
                return Ok(Attempt::LostRace);
            }
            record_created(conn, std::slice::from_ref(&created), actor)?;
            jobs::start(conn, &created)?;
            Ok(Attempt::Claimed(created))
        })?;
        match attempt {
            Attempt::Claimed(number) => return Ok(Some(number)),
            Attempt::NoneFree => return Ok(None),
            Attempt::LostRace => {
                tracing::debug!("pool claim lost a race; trying the next free number");
            }
        }
    }
    Err(RepoError::Unexpected("pool claim kept losing races; gave up".into()).into())
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
            Err(RepoError::Unexpected("import kept losing races; gave up".into()).into())
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
        if let Some(connection) = draft.voip_connection_id() {
            if connection_orgs.get(&connection.get()) != Some(&org) {
                return Err(RepoError::InvalidReference(Reference::VoipConnection(
                    connection.get(),
                ))
                .into());
            }
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
