//! `/readyz` and `/metrics`: a round trip, and counts read in one snapshot.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use thunderphone_domain::Timestamp;
use thunderphone_ports::{PoolUsage, RepoError, StoreHealth, StoreStats};

use crate::PgStore;
use crate::error::{Failure, corrupt};
use crate::rows::wire;

/// A row of [`BY_KIND`].
#[derive(QueryableByName)]
struct Kind {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Not-deleted numbers by source and status.
const BY_KIND: &str = "\
    SELECT source, status, count(*) AS count FROM phone_numbers \
    WHERE deleted_at IS NULL GROUP BY source, status ORDER BY source, status";

/// A row of [`COUNTS`].
#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    held_pool_numbers: i64,
    #[diesel(sql_type = BigInt)]
    jobs_due: i64,
    #[diesel(sql_type = BigInt)]
    jobs_leased: i64,
    #[diesel(sql_type = BigInt)]
    jobs_waiting: i64,
}

/// The pool's used part (`E164::is_demo_pool_shape`: `+1 NPA 555-01XX`
/// with NPA `[2-9]XX`) and the jobs at `$1`: leased (lease not expired),
/// else due, else waiting for a retry.
const COUNTS: &str = r"
    SELECT
        (SELECT count(*) FROM phone_numbers
         WHERE deleted_at IS NULL AND number ~ '^\+1[2-9][0-9]{2}55501[0-9]{2}$')
            AS held_pool_numbers,
        count(*) FILTER (WHERE (lease_until IS NULL OR lease_until <= $1) AND due_at <= $1)
            AS jobs_due,
        count(*) FILTER (WHERE lease_until > $1) AS jobs_leased,
        count(*) FILTER (WHERE (lease_until IS NULL OR lease_until <= $1) AND due_at > $1)
            AS jobs_waiting
    FROM activation_jobs";

fn unsigned(what: &str, raw: i64) -> Result<u64, Failure> {
    u64::try_from(raw).map_err(|e| corrupt(what, e))
}

/// Reads every count in one read-only snapshot.
fn read_stats(conn: &mut PgConnection, now: Timestamp) -> Result<StoreStats, Failure> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            let numbers = diesel::sql_query(BY_KIND)
                .load::<Kind>(conn)?
                .into_iter()
                .map(|k| {
                    Ok((
                        wire("source", &k.source)?,
                        wire("status", &k.status)?,
                        unsigned("count", k.count)?,
                    ))
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            let counts = diesel::sql_query(COUNTS)
                .bind::<Timestamptz, _>(now)
                .get_result::<Counts>(conn)?;
            Ok(StoreStats {
                numbers,
                held_pool_numbers: unsigned("count", counts.held_pool_numbers)?,
                jobs_due: unsigned("count", counts.jobs_due)?,
                jobs_leased: unsigned("count", counts.jobs_leased)?,
                jobs_waiting: unsigned("count", counts.jobs_waiting)?,
                pool: None,
            })
        })
}

#[async_trait]
impl StoreHealth for PgStore {
    async fn ping(&self) -> Result<(), RepoError> {
        let result = self
            .run("ping", |conn| {
                diesel::sql_query("SELECT 1").execute(conn)?;
                Ok(())
            })
            .await;
        // Any failure of a round trip means the store cannot serve.
        result.map_err(|e| match e {
            RepoError::Unavailable(message) => RepoError::Unavailable(message),
            other => RepoError::Unavailable(other.to_string()),
        })
    }

    async fn stats(&self, now: Timestamp) -> Result<Option<StoreStats>, RepoError> {
        let mut stats = self.run("stats", move |conn| read_stats(conn, now)).await?;
        let state = self.pool.state();
        stats.pool = Some(PoolUsage {
            idle: state.idle_connections,
            in_use: state.connections.saturating_sub(state.idle_connections),
            max: self.max_size,
        });
        Ok(Some(stats))
    }
}
