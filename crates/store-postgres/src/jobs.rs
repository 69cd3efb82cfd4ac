//! The activation queue: one `activation_jobs` row per `provisioning` demo
//! number waiting for the provider. Rows are inserted by the pool claims
//! and deleted by the change that settles the number (or its deletion),
//! inside those transactions; here they are leased and rescheduled.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Int8, Text, Timestamptz};
use thunderphone_domain::{E164, PhoneNumber, PhoneNumberId, Source, Status, Timestamp};
use thunderphone_ports::{ActivationJob, ActivationQueue, RepoError};

use crate::PgStore;
use crate::error::{Failure, corrupt};
use crate::prepared::Prepared;
use crate::rows::id;
use crate::schema::activation_jobs;

/// Queues the activation of a freshly claimed number, due at once.
pub(crate) fn start(conn: &mut PgConnection, number: &PhoneNumber) -> Result<(), Failure> {
    diesel::insert_into(activation_jobs::table)
        .values((
            activation_jobs::phone_number_id.eq(number.id().get()),
            activation_jobs::due_at.eq(number.created_at()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends the job of a number that no longer waits for the provider (or is
/// being deleted). Call in the transaction that writes the number.
pub(crate) fn settle(
    conn: &mut PgConnection,
    number: &PhoneNumber,
    deleted: bool,
) -> Result<(), Failure> {
    let pending = number.source() == Source::Demo && number.status() == Status::Provisioning;
    if deleted || !pending {
        diesel::delete(activation_jobs::table.find(number.id().get())).execute(conn)?;
    }
    Ok(())
}

/// A row of [`LEASE_DUE`].
#[derive(QueryableByName)]
struct Leased {
    #[diesel(sql_type = Int8)]
    phone_number_id: i64,
    #[diesel(sql_type = Text)]
    number: String,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    due_at: Timestamp,
    #[diesel(sql_type = Timestamptz)]
    lease_until: Timestamp,
}

impl Leased {
    fn decode(&self) -> Result<ActivationJob, Failure> {
        Ok(ActivationJob {
            number_id: id("phone number id", self.phone_number_id, PhoneNumberId::new)?,
            number: E164::from_canonical(&self.number).map_err(|e| corrupt("number", e))?,
            attempts: u32::try_from(self.attempts).map_err(|e| corrupt("attempts", e))?,
            lease_until: self.lease_until,
        })
    }
}

/// Sets aside a leased job whose row cannot be read (a number written
/// around the store that is not E.164, say), so that it stops failing
/// every batch it is leased with: no longer leased, never due, its
/// `last_error` saying why. Once the row is fixed, setting `due_at` to
/// `now()` puts it back in the queue (OPERATIONS.md).
fn park(conn: &mut PgConnection, raw_id: i64, unreadable: RepoError) -> Result<(), Failure> {
    let why = format!("job set aside, its row cannot be read: {unreadable}");
    tracing::error!(phone_number_id = raw_id, error = %unreadable, "activation job set aside");
    diesel::update(activation_jobs::table.find(raw_id))
        .set((
            activation_jobs::lease_until.eq(None::<Timestamp>),
            activation_jobs::due_at.eq(diesel::dsl::sql::<Timestamptz>("'infinity'")),
            activation_jobs::last_error.eq(why),
        ))
        .execute(conn)?;
    Ok(())
}

/// Leases up to `$3` jobs due at `$1` (not leased, or lease expired) until
/// `$2`, oldest due first. `FOR UPDATE SKIP LOCKED` makes concurrent
/// leasers pass each other's rows by, and the row lock re-checks the
/// conditions against a lease committed meanwhile, so no job is handed to
/// two workers.
const LEASE_DUE: &str = "\
    UPDATE activation_jobs AS j SET lease_until = $2 \
    FROM phone_numbers AS p \
    WHERE p.id = j.phone_number_id AND j.phone_number_id IN (\
        SELECT phone_number_id FROM activation_jobs \
        WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
        ORDER BY due_at, phone_number_id \
        LIMIT $3 \
        FOR UPDATE SKIP LOCKED\
    ) \
    RETURNING j.phone_number_id, p.number, j.attempts, j.due_at, j.lease_until";

#[async_trait]
impl ActivationQueue for PgStore {
    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<ActivationJob>, RepoError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run("lease_due", move |conn| {
            let mut rows = Prepared(
                diesel::sql_query(LEASE_DUE)
                    .bind::<Timestamptz, _>(now)
                    .bind::<Timestamptz, _>(lease_until)
                    .bind::<BigInt, _>(limit),
            )
            .load::<Leased>(conn)?;
            // RETURNING keeps no order of its own.
            rows.sort_by_key(|row| (row.due_at, row.phone_number_id));
            let mut jobs = Vec::with_capacity(rows.len());
            for row in rows {
                match row.decode() {
                    Ok(job) => jobs.push(job),
                    Err(failure) => park(conn, row.phone_number_id, failure.into_repo())?,
                }
            }
            Ok(jobs)
        })
        .await
    }

    async fn retry_at(
        &self,
        job: &ActivationJob,
        attempts: u32,
        due: Timestamp,
        last_error: &str,
    ) -> Result<(), RepoError> {
        let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        let last_error = last_error.to_owned();
        let (number_id, lease) = (job.number_id.get(), job.lease_until);
        self.run("retry_at", move |conn| {
            // A job that has ended meanwhile, or that holds another lease
            // now (this one expired and the job was handed out again, by
            // this store or another), matches no row: nothing to do.
            diesel::update(
                activation_jobs::table
                    .find(number_id)
                    .filter(activation_jobs::lease_until.eq(lease)),
            )
            .set((
                activation_jobs::attempts.eq(attempts),
                activation_jobs::due_at.eq(due),
                activation_jobs::lease_until.eq(None::<Timestamp>),
                activation_jobs::last_error.eq(&last_error),
            ))
            .execute(conn)?;
            Ok(())
        })
        .await
    }
}
