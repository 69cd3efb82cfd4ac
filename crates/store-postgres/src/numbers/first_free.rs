//! `claim_first_free`: the first of a carrier's candidates (a handful)
//! that nobody holds.
//!
//! One transaction: one read drops the candidates live numbers hold, then
//! the rest are tried in order. A candidate another claimer is trying at
//! the same moment (its transaction-scoped advisory lock on the number is
//! taken) is passed over for the next one, so concurrent claimers spread
//! over the candidates instead of queueing behind the first; only when
//! every other candidate is gone are those tried again, waiting for the
//! other claimer's outcome. Each try runs in a savepoint, so a candidate
//! that turns out held lets go of whatever it locked.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Text};
use thunderphone_domain::{Actor, E164, NewPhoneNumber, OrgId, PhoneNumber, Timestamp};

use super::create::{insert_claimed, next_ids};
use super::pool;
use crate::error::{Failure, corrupt};

/// Key space of the advisory locks on candidate numbers (two-key form,
/// apart from the migration lock's single key).
const CANDIDATE_LOCKS: i32 = 0x7470_6e63; // "tpnc"

/// A row of [`FREE_CANDIDATES`].
#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// The candidates (1-based positions in `$1`) no live number holds.
const FREE_CANDIDATES: &str = "\
    SELECT c.position FROM unnest($1::text[]) WITH ORDINALITY AS c(number, position) \
    WHERE NOT EXISTS (\
        SELECT 1 FROM phone_numbers p WHERE p.number = c.number AND p.deleted_at IS NULL\
    ) \
    ORDER BY c.position";

/// A row of [`TRY_LOCK`].
#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Takes the candidate's advisory lock unless another transaction has it.
const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked";

/// Why a try ended without a number: the savepoint is rolled back.
enum Missed {
    Held,
    Failed(Failure),
}

impl From<DieselError> for Missed {
    fn from(error: DieselError) -> Self {
        Missed::Failed(error.into())
    }
}

impl From<Failure> for Missed {
    fn from(failure: Failure) -> Self {
        Missed::Failed(failure)
    }
}

/// Tries one candidate in a savepoint: holds its pool row (if it has
/// one), then inserts it. `None` when it is held.
fn try_candidate(
    conn: &mut PgConnection,
    org_id: OrgId,
    number: &E164,
    now: Timestamp,
    actor: Option<Actor>,
) -> Result<Option<PhoneNumber>, Failure> {
    let tried = conn.transaction::<_, Missed, _>(|conn| {
        if !pool::try_hold(conn, number)? {
            return Err(Missed::Held);
        }
        let [id] = next_ids(conn, 1)?[..] else {
            return Err(corrupt("id sequence", "no id").into());
        };
        let created = NewPhoneNumber::demo(org_id, number.clone(), now).into_created(id);
        if insert_claimed(conn, &created, actor)? {
            Ok(created)
        } else {
            Err(Missed::Held)
        }
    });
    match tried {
        Ok(created) => Ok(Some(created)),
        Err(Missed::Held) => Ok(None),
        Err(Missed::Failed(failure)) => Err(failure),
    }
}

/// `claim_first_free`; see the module documentation.
pub(crate) fn claim(
    conn: &mut PgConnection,
    org_id: OrgId,
    candidates: &[E164],
    now: Timestamp,
    actor: Option<Actor>,
) -> Result<Option<PhoneNumber>, Failure> {
    let texts: Vec<&str> = candidates.iter().map(E164::as_str).collect();
    conn.transaction(|conn| {
        let free = diesel::sql_query(FREE_CANDIDATES)
            .bind::<Array<Text>, _>(&texts)
            .load::<Position>(conn)?
            .into_iter()
            .map(|row| {
                usize::try_from(row.position)
                    .ok()
                    .and_then(|p| p.checked_sub(1))
                    .and_then(|i| candidates.get(i))
                    .ok_or_else(|| corrupt("candidate position", row.position))
            })
            .collect::<Result<Vec<&E164>, Failure>>()?;
        let mut contended = Vec::new();
        for number in free {
            let locked = diesel::sql_query(TRY_LOCK)
                .bind::<Int4, _>(CANDIDATE_LOCKS)
                .bind::<Text, _>(number.as_str())
                .get_result::<Locked>(conn)?
                .locked;
            if !locked {
                contended.push(number);
            } else if let Some(created) = try_candidate(conn, org_id, number, now, actor)? {
                return Ok(Some(created));
            }
        }
        for number in contended {
            if let Some(created) = try_candidate(conn, org_id, number, now, actor)? {
                return Ok(Some(created));
            }
        }
        Ok(None)
    })
}
