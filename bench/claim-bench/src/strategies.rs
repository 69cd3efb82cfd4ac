//! The claim strategies the store does not ship, in raw SQL, for
//! comparison: the previous `NOT EXISTS` over every candidate, and
//! optimistic insert-and-retry on the `demo_pool` table. Both write what a
//! real claim writes (number, version 1, activation job) in one
//! transaction, with the same round trips as the store would make.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{Array, BigInt, Bool, Int2, Int8, Text};
use thunderphone_domain::{AreaCode, E164, OrgId};
use thunderphone_ports::{RepoError, Unexpected};

use crate::BoxError;

/// How a claim is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `PgStore::claim_pool_number`.
    Store,
    /// The previous claim: `NOT EXISTS` over every candidate.
    Old,
    /// `demo_pool` with optimistic insert-and-retry.
    Retry,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Store => "store (shipped)",
            Strategy::Old => "old (not exists)",
            Strategy::Retry => "retry (pool table)",
        }
    }
}

/// The previous claim's choice: the first candidate no live number holds.
const FIRST_FREE: &str = "\
    SELECT pool.position AS n FROM unnest($1::text[]) WITH ORDINALITY AS pool(number, position) \
    WHERE NOT EXISTS (\
        SELECT 1 FROM phone_numbers p WHERE p.number = pool.number AND p.deleted_at IS NULL\
    ) \
    ORDER BY pool.position LIMIT 1";

/// The first free pool row, read without locking.
const FIRST_FREE_ROW: &str = "\
    SELECT d.area_code, d.line FROM unnest($1::text[]) AS c(code) \
    CROSS JOIN LATERAL (\
        SELECT area_code, line FROM demo_pool \
        WHERE area_code = c.code AND NOT held ORDER BY line LIMIT 1\
    ) AS d LIMIT 1";

const TAKE_ROW: &str = "\
    UPDATE demo_pool SET held = true WHERE area_code = $1 AND line = $2 AND NOT held";

const NEXT_ID: &str = "SELECT nextval(pg_get_serial_sequence('phone_numbers', 'id')) AS n";

const INSERT_NUMBER: &str = "\
    INSERT INTO phone_numbers (id, org_id, number, source, status, voip_verification_status, \
        version, created_at, updated_at) \
    VALUES ($1, $2, $3, 'demo', 'provisioning', 'unverified', 1, now(), now()) \
    ON CONFLICT (number) WHERE deleted_at IS NULL DO NOTHING";

const INSERT_VERSION: &str = "\
    INSERT INTO phone_number_versions (phone_number_id, version, org_id, status, \
        voip_verification_status, change, created_at) \
    VALUES ($1, 1, $2, 'provisioning', 'unverified', 'created', now())";

const INSERT_JOB: &str = "INSERT INTO activation_jobs (phone_number_id, due_at) VALUES ($1, now())";

/// Fills `demo_pool` for `$1` (what the store does on first use).
const SEED: &str = "\
    INSERT INTO demo_pool (area_code, line, held) \
    SELECT c.code, l.line::smallint, false \
    FROM unnest($1::text[]) AS c(code), generate_series(0, 99) AS l(line) \
    ORDER BY 1, 2 ON CONFLICT DO NOTHING";

/// Pool rows whose `held` disagrees with the live numbers.
const OUT_OF_SYNC: &str = "\
    SELECT count(*) AS n FROM demo_pool d \
    WHERE d.held <> EXISTS (SELECT 1 FROM phone_numbers p WHERE p.deleted_at IS NULL \
        AND p.number = '+1' || d.area_code || '55501' || lpad(d.line::text, 2, '0'))";

const HELD_TWICE: &str = "\
    SELECT count(*) AS n FROM (SELECT number FROM phone_numbers WHERE deleted_at IS NULL \
        GROUP BY number HAVING count(*) > 1) AS twice";

const HAS_POOL_TABLE: &str = "SELECT to_regclass('demo_pool') IS NOT NULL AS b";

#[derive(QueryableByName)]
struct Int {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    b: bool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    area_code: String,
    #[diesel(sql_type = Int2)]
    line: i16,
}

enum Attempt {
    Claimed(String),
    NoneFree,
    LostRace,
}

/// A connection pool of its own, sized like the store's.
pub struct Raw {
    pool: Pool<ConnectionManager<PgConnection>>,
}

impl Raw {
    pub fn new(url: &str, size: u32, timeout: Duration) -> Result<Self, BoxError> {
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .build_unchecked(ConnectionManager::new(url));
        Ok(Self { pool })
    }

    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, RepoError> {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| RepoError::Unavailable(e.to_string()))?;
            work(&mut conn).map_err(|e| RepoError::unexpected(e.to_string()))
        })
        .await
        .map_err(|e| RepoError::Unexpected(Unexpected::new(e)))?
    }

    /// Fills the pool table for `codes`.
    pub async fn seed(&self, codes: &[AreaCode]) -> Result<(), BoxError> {
        let codes: Vec<String> = codes.iter().map(|c| c.as_str().to_owned()).collect();
        self.with(move |conn| {
            diesel::sql_query(SEED)
                .bind::<Array<Text>, _>(&codes)
                .execute(conn)
        })
        .await?;
        Ok(())
    }

    /// One claim with `strategy` (`Old` or `Retry`); counts lost races.
    pub async fn claim(
        &self,
        strategy: Strategy,
        org_id: OrgId,
        codes: &[AreaCode],
        lost: &AtomicU64,
    ) -> Result<Option<String>, RepoError> {
        let codes: Vec<String> = codes.iter().map(|c| c.as_str().to_owned()).collect();
        let org = org_id.get();
        let (outcome, races) = self
            .with(move |conn| {
                let candidates: Vec<String> = match strategy {
                    Strategy::Old => codes
                        .iter()
                        .filter_map(|c| AreaCode::parse(c).ok())
                        .flat_map(AreaCode::demo_pool_numbers)
                        .map(|n: E164| n.as_str().to_owned())
                        .collect(),
                    _ => Vec::new(),
                };
                let mut races = 0;
                loop {
                    let attempt = conn.transaction(|conn| match strategy {
                        Strategy::Old => old_attempt(conn, org, &candidates),
                        _ => retry_attempt(conn, org, &codes),
                    })?;
                    match attempt {
                        Attempt::Claimed(number) => return Ok((Some(number), races)),
                        Attempt::NoneFree => return Ok((None, races)),
                        Attempt::LostRace => races += 1,
                    }
                }
            })
            .await?;
        lost.fetch_add(races, Ordering::Relaxed);
        Ok(outcome)
    }

    /// Prints what must hold after any run: no number held twice, and
    /// (when the strategy keeps it) the pool table in step with the
    /// numbers.
    pub async fn check_consistency(&self, strategy: Strategy) -> Result<(), BoxError> {
        let (twice, out_of_sync) = self
            .with(move |conn| {
                let twice = diesel::sql_query(HELD_TWICE).get_result::<Int>(conn)?.n;
                let has_pool = diesel::sql_query(HAS_POOL_TABLE)
                    .get_result::<Flag>(conn)?
                    .b;
                let out_of_sync = if has_pool && strategy != Strategy::Old {
                    Some(diesel::sql_query(OUT_OF_SYNC).get_result::<Int>(conn)?.n)
                } else {
                    None
                };
                Ok((twice, out_of_sync))
            })
            .await?;
        println!(
            "{:<24} numbers held twice in the database: {twice}; pool rows out of sync: {}",
            "",
            out_of_sync.map_or_else(|| "-".to_owned(), |n| n.to_string())
        );
        Ok(())
    }
}

/// Inserts the number, version 1 and the job; `false` when the number is
/// held meanwhile.
fn insert_claimed(conn: &mut PgConnection, org: i64, number: &str) -> QueryResult<bool> {
    let id = diesel::sql_query(NEXT_ID).get_result::<Int>(conn)?.n;
    let inserted = diesel::sql_query(INSERT_NUMBER)
        .bind::<Int8, _>(id)
        .bind::<Int8, _>(org)
        .bind::<Text, _>(number)
        .execute(conn)?;
    if inserted == 0 {
        return Ok(false);
    }
    diesel::sql_query(INSERT_VERSION)
        .bind::<Int8, _>(id)
        .bind::<Int8, _>(org)
        .execute(conn)?;
    diesel::sql_query(INSERT_JOB)
        .bind::<Int8, _>(id)
        .execute(conn)?;
    Ok(true)
}

fn org_exists(conn: &mut PgConnection, org: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::sql::<Bool>(&format!(
        "EXISTS (SELECT 1 FROM orgs WHERE id = {org})"
    )))
    .get_result(conn)
}

fn old_attempt(conn: &mut PgConnection, org: i64, candidates: &[String]) -> QueryResult<Attempt> {
    if !org_exists(conn, org)? {
        return Err(diesel::result::Error::NotFound);
    }
    let Some(free) = diesel::sql_query(FIRST_FREE)
        .bind::<Array<Text>, _>(candidates)
        .get_result::<Int>(conn)
        .optional()?
    else {
        return Ok(Attempt::NoneFree);
    };
    let number = usize::try_from(free.n - 1)
        .ok()
        .and_then(|i| candidates.get(i))
        .ok_or(diesel::result::Error::NotFound)?;
    Ok(if insert_claimed(conn, org, number)? {
        Attempt::Claimed(number.clone())
    } else {
        Attempt::LostRace
    })
}

fn retry_attempt(conn: &mut PgConnection, org: i64, codes: &[String]) -> QueryResult<Attempt> {
    if !org_exists(conn, org)? {
        return Err(diesel::result::Error::NotFound);
    }
    let Some(row) = diesel::sql_query(FIRST_FREE_ROW)
        .bind::<Array<Text>, _>(codes)
        .get_result::<Row>(conn)
        .optional()?
    else {
        return Ok(Attempt::NoneFree);
    };
    let taken = diesel::sql_query(TAKE_ROW)
        .bind::<Text, _>(&row.area_code)
        .bind::<Int2, _>(row.line)
        .execute(conn)?;
    if taken == 0 {
        return Ok(Attempt::LostRace);
    }
    let number = format!("+1{}55501{:02}", row.area_code, row.line);
    Ok(if insert_claimed(conn, org, &number)? {
        Attempt::Claimed(number)
    } else {
        Attempt::LostRace
    })
}
