//! `claim_pool_number` in one statement: pick and hold a free pool row,
//! insert the number, its version 1, its `phone_number.created` event
//! (whose trigger inserts its deliveries) and its activation job.
//!
//! One statement is one round trip and commits on its own (no `BEGIN` /
//! `COMMIT`), so a claim costs PostgreSQL one parse-free execution instead
//! of six. What the new number is stays the domain's call: the columns are
//! bound from a number the domain built (`NewPhoneNumber::demo`), its
//! version-1 snapshot and its event (`Event::created`); only the id (the
//! identity default) and the number (the picked line) come from SQL, and
//! the returned row is turned into the domain number the same way.

use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Int8, Nullable, Text, Timestamptz};
use thunderphone_domain::{
    Actor, AgentId, AreaCode, ChangeKind, E164, Event, EventData, NewPhoneNumber, OrgId,
    PhoneNumber, PhoneNumberId, Timestamp, VoipConnectionId,
};

use crate::error::{Failure, corrupt};
use crate::events::EventIds;
use crate::prepared::Prepared;
use crate::rows::id;

/// The claim around a pick of `(area_code, line)`: marks the row held,
/// inserts the number unless a live number holds it already (`ON CONFLICT
/// … DO NOTHING` on the live-number index also waits for a racing insert
/// of it), and, only when inserted, its version and job. The result has
/// one row when a line was picked, with a NULL id when its number turned
/// out to be held (the row stays marked held, which is right), and none
/// when no line was free.
///
/// Parameters: `$1` the area codes; `$2`–`$13` the number's columns;
/// `$14`–`$24` the version's; `$25` the job's due time; `$26`–`$31` the
/// event's own columns (its number columns are the number's).
macro_rules! claim_sql {
    ($pick:literal) => {
        concat!(
            "WITH picked AS (UPDATE demo_pool SET held = true WHERE (area_code, line) = (",
            $pick,
            ") RETURNING area_code, line), ",
            "created AS (INSERT INTO phone_numbers (org_id, number, source, status, \
             inbound_agent_id, outbound_agent_id, voip_connection_id, voip_verification_status, \
             voip_last_verified_at, status_reason, version, created_at, updated_at) \
             SELECT $2, '+1' || area_code || '55501' || lpad(line::text, 2, '0'), \
             $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM picked \
             ON CONFLICT (number) WHERE deleted_at IS NULL DO NOTHING \
             RETURNING id, number), ",
            "versioned AS (INSERT INTO phone_number_versions (phone_number_id, version, org_id, \
             status, inbound_agent_id, outbound_agent_id, voip_connection_id, \
             voip_verification_status, change, changed_by_user_id, changed_by_api_key_id, \
             created_at) \
             SELECT id, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24 FROM created), ",
            "queued AS (INSERT INTO activation_jobs (phone_number_id, due_at) \
             SELECT id, $25 FROM created), ",
            "evented AS (INSERT INTO events (id, org_id, type, created_at, phone_number_id, \
             number, source, status, inbound_agent_id, outbound_agent_id, voip_connection_id, \
             voip_verification_status, voip_last_verified_at, status_reason, version, \
             number_created_at, number_updated_at, changed_by_user_id, changed_by_api_key_id) \
             SELECT $26, $27, $28, $29, id, number, \
             $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $30, $31 FROM created) ",
            "SELECT picked.area_code, picked.line, created.id, created.number \
             FROM picked LEFT JOIN created ON true"
        )
    };
}

/// Picks the lowest free line of the first area code of `$1` that has one
/// not locked by a concurrent claimer. The lateral subquery runs once per
/// area code, in the order given, until one yields a row (no `ORDER BY`
/// above it: sorting would run, and lock, every area code); each run reads
/// the first entry of the free-lines index that it can lock, skipping rows
/// other claimers hold locked.
const CLAIM: &str = claim_sql!(
    "SELECT free.area_code, free.line \
     FROM unnest($1::text[]) AS wanted(area_code) \
     CROSS JOIN LATERAL (\
         SELECT area_code, line FROM demo_pool \
         WHERE area_code = wanted.area_code AND NOT held \
         ORDER BY line LIMIT 1 \
         FOR UPDATE SKIP LOCKED\
     ) AS free \
     LIMIT 1"
);

/// [`CLAIM`] for area codes given in ascending order (every area code, when
/// the caller has no preference): the first of them with a free line is
/// then simply the first free row in the free-lines index order, found by
/// one index scan however many area codes before it are full, instead of
/// one probe per full area code.
const CLAIM_ASCENDING: &str = claim_sql!(
    "SELECT area_code, line FROM demo_pool \
     WHERE NOT held AND area_code = ANY($1::text[]) \
     ORDER BY area_code, line LIMIT 1 \
     FOR UPDATE SKIP LOCKED"
);

/// A row of [`CLAIM`].
#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    area_code: String,
    #[diesel(sql_type = Int2)]
    line: i16,
    #[diesel(sql_type = Nullable<Int8>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    number: Option<String>,
}

/// `claim_pool_number`, once the rows of `codes` exist. A picked row whose
/// number turns out to be held (written around the store) stays marked
/// held, and the next one is picked; each such pass fixes a row for good.
pub(crate) fn claim(
    conn: &mut PgConnection,
    org_id: OrgId,
    codes: &[AreaCode],
    now: Timestamp,
    actor: Option<Actor>,
) -> Result<Option<PhoneNumber>, Failure> {
    // Only codes with pool numbers: rows of other codes may exist in
    // databases seeded before they were left out.
    let codes: Vec<AreaCode> = codes
        .iter()
        .copied()
        .filter(|code| code.has_demo_pool())
        .collect();
    let Some(template) = template(org_id, &codes, now) else {
        return Ok(None);
    };
    let sql = if codes.is_sorted_by(|a, b| a < b) {
        CLAIM_ASCENDING
    } else {
        CLAIM
    };
    // A pass that inserts nothing records no event, so one id serves them all.
    let event = Event::created(&template, actor, EventIds::at(now)?.next_id());
    let wanted: Vec<&str> = codes.iter().map(AreaCode::as_str).collect();
    let passes = codes.len().saturating_mul(100);
    for _ in 0..passes {
        // The statement has committed when it returns: the checks below
        // guard against a bug (a pool row outside `codes`, the SQL and the
        // domain spelling a line differently), not against data, and
        // would report it after the fact.
        let Some(claimed) = run(conn, sql, &wanted, &template, &event)? else {
            return Ok(None);
        };
        let number = AreaCode::parse(&claimed.area_code)
            .ok()
            .zip(u8::try_from(claimed.line).ok())
            .and_then(|(code, line)| E164::demo_pool(code, line))
            .ok_or_else(|| corrupt("demo pool row", &claimed.area_code))?;
        let (Some(raw_id), Some(stored)) = (claimed.id, claimed.number) else {
            tracing::warn!(
                %number,
                "demo pool row was free but its number is held; marked held"
            );
            continue;
        };
        if stored != number.as_str() {
            return Err(corrupt("claimed number", stored));
        }
        let id = id("phone number id", raw_id, PhoneNumberId::new)?;
        return Ok(Some(
            NewPhoneNumber::demo(org_id, number, now).into_created(id),
        ));
    }
    Ok(None)
}

/// The number the domain creates for a claim by `org_id` at `now`, with a
/// stand-in id and number (any of `codes`' lines): every other column of
/// a new demo number is the same whichever line and id it gets (the
/// `template_matches_every_claimed_number` test holds the domain to it).
fn template(org_id: OrgId, codes: &[AreaCode], now: Timestamp) -> Option<PhoneNumber> {
    let number = E164::demo_pool(*codes.first()?, 0)?;
    let id = PhoneNumberId::new(1).ok()?;
    Some(NewPhoneNumber::demo(org_id, number, now).into_created(id))
}

/// Runs one pass of the claim with `template`'s columns bound, and those
/// of `event`, its `Event::created`.
fn run(
    conn: &mut PgConnection,
    sql: &'static str,
    wanted: &[&str],
    template: &PhoneNumber,
    event: &Event,
) -> Result<Option<Claimed>, Failure> {
    let EventData::Number { changed_by, .. } = &event.data else {
        return Err(corrupt("claim event", event.kind));
    };
    let actor = *changed_by;
    let number = template.parts();
    let version = template.snapshot(ChangeKind::Created, actor);
    let query = diesel::sql_query(sql)
        .bind::<Array<Text>, _>(wanted)
        .bind::<Int8, _>(number.org_id.get())
        .bind::<Text, _>(number.source.as_str())
        .bind::<Text, _>(number.status.as_str())
        .bind::<Nullable<Int8>, _>(number.inbound_agent_id.map(AgentId::get))
        .bind::<Nullable<Int8>, _>(number.outbound_agent_id.map(AgentId::get))
        .bind::<Nullable<Int8>, _>(number.voip_connection_id.map(VoipConnectionId::get))
        .bind::<Text, _>(number.voip_verification_status.as_str())
        .bind::<Nullable<Timestamptz>, _>(number.voip_last_verified_at)
        .bind::<Nullable<Text>, _>(number.status_reason.as_deref())
        .bind::<Int8, _>(number.version.get())
        .bind::<Timestamptz, _>(number.created_at)
        .bind::<Timestamptz, _>(number.updated_at)
        .bind::<Int8, _>(version.version.get())
        .bind::<Int8, _>(version.org_id.get())
        .bind::<Text, _>(version.status.as_str())
        .bind::<Nullable<Int8>, _>(version.inbound_agent_id.map(AgentId::get))
        .bind::<Nullable<Int8>, _>(version.outbound_agent_id.map(AgentId::get))
        .bind::<Nullable<Int8>, _>(version.voip_connection_id.map(VoipConnectionId::get))
        .bind::<Text, _>(version.voip_verification_status.as_str())
        .bind::<Text, _>(version.change.as_str())
        .bind::<Nullable<Int8>, _>(version.changed_by.map(|a| a.user_id.get()))
        .bind::<Nullable<Int8>, _>(version.changed_by.map(|a| a.api_key_id.get()))
        .bind::<Timestamptz, _>(version.created_at)
        .bind::<Timestamptz, _>(template.created_at())
        .bind::<Text, _>(event.id.to_string())
        .bind::<Int8, _>(event.org_id.get())
        .bind::<Text, _>(event.kind.as_str())
        .bind::<Timestamptz, _>(event.created_at)
        .bind::<Nullable<Int8>, _>(actor.map(|a| a.user_id.get()))
        .bind::<Nullable<Int8>, _>(actor.map(|a| a.api_key_id.get()));
    // Prepared: planning the claim cost as much as running it.
    Ok(Prepared(query).get_result::<Claimed>(conn).optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numbers::pool::seed;
    use crate::rows::VersionRow;
    use crate::schema::{activation_jobs, phone_number_versions};
    use chrono::SubsecRound;
    use thunderphone_domain::{ApiKeyId, UserId};

    fn area(code: &str) -> AreaCode {
        AreaCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
    }

    /// The stand-in id and number are the only columns a claimed number
    /// may differ from the template in: otherwise the claim would store
    /// something other than what the domain makes.
    #[test]
    fn template_matches_every_claimed_number() {
        let org = OrgId::new(7).unwrap_or_else(|e| panic!("{e}"));
        let now = chrono::Utc::now();
        let actor = Actor {
            user_id: UserId::new(3).unwrap_or_else(|e| panic!("{e}")),
            api_key_id: ApiKeyId::new(4).unwrap_or_else(|e| panic!("{e}")),
        };
        let template = template(org, &[area("212")], now).unwrap_or_else(|| panic!("template"));
        for (code, line, raw_id) in [("212", 0, 1), ("415", 57, 9_000_000_001), ("907", 99, 2)] {
            let number = E164::demo_pool(area(code), line).unwrap_or_else(|| panic!("line"));
            let id = PhoneNumberId::new(raw_id).unwrap_or_else(|e| panic!("{e}"));
            let claimed = NewPhoneNumber::demo(org, number.clone(), now).into_created(id);
            let mut expected = template.parts().clone();
            expected.id = id;
            expected.number = number;
            assert_eq!(claimed.parts(), &expected);
            let mut snapshot = template.snapshot(ChangeKind::Created, Some(actor));
            snapshot.phone_number_id = id;
            assert_eq!(claimed.snapshot(ChangeKind::Created, Some(actor)), snapshot);
        }
    }

    /// Each variant of the claim is prepared once per connection and
    /// reused, both take the lines in the promised order, and a claim
    /// writes the number, its version 1 and its job as the domain made
    /// them.
    #[test]
    fn claims_are_prepared_once_per_connection() {
        let (_db, mut conn) = crate::tests::migrated_connection();
        diesel::sql_query("INSERT INTO orgs (id, name, created_at) VALUES (1, 'Acme', now())")
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        let org = OrgId::new(1).unwrap_or_else(|e| panic!("{e}"));
        let ascending = [area("212"), area("415")];
        let descending = [area("415"), area("212")];
        seed(&mut conn, &ascending).unwrap_or_else(|e| panic!("{e:?}"));
        let mut claimed = Vec::new();
        for codes in [ascending, descending, ascending, descending] {
            // Microseconds, as PostgreSQL keeps them.
            let now = chrono::Utc::now().trunc_subsecs(6);
            let number = claim(&mut conn, org, &codes, now, None)
                .unwrap_or_else(|e| panic!("{e:?}"))
                .unwrap_or_else(|| panic!("free lines"));
            claimed.push(number);
        }
        let numbers: Vec<&str> = claimed.iter().map(|n| n.number().as_str()).collect();
        assert_eq!(
            numbers,
            [
                "+12125550100",
                "+14155550100",
                "+12125550101",
                "+14155550101"
            ]
        );
        for number in &claimed {
            let stored = crate::numbers::read::find(&mut conn, Some(org), number.id())
                .unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(stored.as_ref(), Some(number));
            let versions: Vec<VersionRow> = phone_number_versions::table
                .filter(phone_number_versions::phone_number_id.eq(number.id().get()))
                .select(VersionRow::as_select())
                .load(&mut conn)
                .unwrap_or_else(|e| panic!("{e}"));
            let snapshots: Vec<_> = versions
                .into_iter()
                .map(|row| row.into_domain().unwrap_or_else(|e| panic!("{e:?}")))
                .collect();
            assert_eq!(snapshots, [number.snapshot(ChangeKind::Created, None)]);
            let due: Vec<Timestamp> = activation_jobs::table
                .filter(activation_jobs::phone_number_id.eq(number.id().get()))
                .select(activation_jobs::due_at)
                .load(&mut conn)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(due, [number.created_at()]);
        }
        let mut prepared = |fragment: &str| crate::tests::prepared_statements(&mut conn, fragment);
        assert_eq!(
            prepared("WITH picked AS"),
            2,
            "one prepared statement per variant"
        );
    }
}
