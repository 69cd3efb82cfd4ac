//! Leasing due deliveries for the workers of every instance.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use thunderphone_domain::{Delivery, Event, Timestamp, WebhookUrl};
use thunderphone_ports::{DueDelivery, RepoError, SealedCredentials};

use super::deliveries::DeliveryRow;
use super::endpoints::url;
use crate::error::Failure;
use crate::events::EventRow;
use crate::prepared::Prepared;
use crate::schema::{events, webhook_deliveries, webhook_endpoints};

/// Leases up to `$3` pending deliveries due at `$1` (soonest due first)
/// of enabled endpoints — or of any endpoint for `webhook.test` — by
/// moving their due time to `$2`. `FOR UPDATE SKIP LOCKED` makes
/// concurrent leasers (in any instance) pass each other's rows by, and
/// the row lock re-checks the conditions against a lease committed
/// meanwhile, so no delivery is handed to two workers; a lease never
/// recorded (a crash) is simply due again at `$2`. Returns each delivery
/// as it was before the lease (its due time, not the lease's end).
const LEASE_DUE: &str = "\
    UPDATE webhook_deliveries AS d SET next_attempt_at = $2 \
    FROM (\
        SELECT q.id, q.next_attempt_at FROM webhook_deliveries AS q \
        JOIN webhook_endpoints AS w ON w.id = q.endpoint_id \
        WHERE q.status = 'pending' AND q.next_attempt_at <= $1 \
        AND (w.enabled OR EXISTS (\
            SELECT 1 FROM events AS e WHERE e.seq = q.event_seq AND e.type = 'webhook.test'\
        )) \
        ORDER BY q.next_attempt_at, q.id \
        LIMIT $3 \
        FOR UPDATE OF q SKIP LOCKED\
    ) AS due \
    WHERE d.id = due.id \
    RETURNING d.id, d.org_id, d.endpoint_id, d.event_seq, d.status, d.attempts, \
        d.last_attempt_at, due.next_attempt_at, d.last_response_status, d.last_error, \
        d.created_at";

/// What the sender needs of a leased delivery's endpoint.
#[derive(Clone, Queryable)]
struct Target {
    id: i64,
    url: String,
    secret_key_id: String,
    secret_sealed: Vec<u8>,
    previous_secret_key_id: Option<String>,
    previous_secret_sealed: Option<Vec<u8>>,
    previous_secret_until: Option<Timestamp>,
}

impl Target {
    /// The URL, and the secrets that sign at `now`: the current one, then
    /// the previous one while its grace lasts.
    fn decode(self, now: Timestamp) -> Result<(WebhookUrl, Vec<SealedCredentials>), Failure> {
        let mut secrets = vec![SealedCredentials {
            key_id: self.secret_key_id,
            ciphertext: self.secret_sealed,
        }];
        if let (Some(key_id), Some(ciphertext), Some(until)) = (
            self.previous_secret_key_id,
            self.previous_secret_sealed,
            self.previous_secret_until,
        ) && until > now
        {
            secrets.push(SealedCredentials { key_id, ciphertext });
        }
        Ok((url(&self.url)?, secrets))
    }
}

/// `lease_due`: one transaction that leases the rows and reads their
/// events and endpoints.
pub(super) fn lease_due(
    conn: &mut PgConnection,
    now: Timestamp,
    limit: usize,
    lease_until: Timestamp,
) -> Result<Vec<DueDelivery>, Failure> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.transaction(|conn| {
        let mut rows = Prepared(
            diesel::sql_query(LEASE_DUE)
                .bind::<Timestamptz, _>(now)
                .bind::<Timestamptz, _>(lease_until)
                .bind::<BigInt, _>(limit),
        )
        .load::<DeliveryRow>(conn)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // RETURNING keeps no order of its own.
        rows.sort_by_key(|row| (row.next_attempt_at, row.id));
        let seqs: Vec<i64> = rows.iter().map(|row| row.event_seq).collect();
        let stored_events: HashMap<i64, (String, String, EventRow)> = events::table
            .filter(events::seq.eq_any(&seqs))
            .select((events::seq, events::id, events::kind, EventRow::as_select()))
            .load::<(i64, String, String, EventRow)>(conn)?
            .into_iter()
            .map(|(seq, id, kind, row)| (seq, (id, kind, row)))
            .collect();
        let endpoint_ids: Vec<i64> = rows.iter().map(|row| row.endpoint_id).collect();
        let targets: HashMap<i64, Target> = webhook_endpoints::table
            .filter(webhook_endpoints::id.eq_any(&endpoint_ids))
            .select((
                webhook_endpoints::id,
                webhook_endpoints::url,
                webhook_endpoints::secret_key_id,
                webhook_endpoints::secret_sealed,
                webhook_endpoints::previous_secret_key_id,
                webhook_endpoints::previous_secret_sealed,
                webhook_endpoints::previous_secret_until,
            ))
            .load::<Target>(conn)?
            .into_iter()
            .map(|target| (target.id, target))
            .collect();
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let raw_id = row.id;
            // Both are there (the delivery's foreign keys hold them);
            // several deliveries of a batch may be of one event, or go to
            // one endpoint.
            let event = stored_events.get(&row.event_seq);
            let target = targets.get(&row.endpoint_id);
            let decoded = match (event, target) {
                (Some((event_id, kind, event_row)), Some(target)) => {
                    decode(row, event_id, kind, event_row.clone(), target.clone(), now)
                }
                _ => Err(RepoError::unexpected("event or endpoint missing").into()),
            };
            match decoded {
                Ok(delivery) => due.push(delivery),
                Err(failure) => park(conn, raw_id, failure.into_repo())?,
            }
        }
        Ok(due)
    })
}

fn decode(
    row: DeliveryRow,
    event_id: &str,
    kind: &str,
    event_row: EventRow,
    target: Target,
    now: Timestamp,
) -> Result<DueDelivery, Failure> {
    let delivery: Delivery = row.into_domain(event_id, kind)?;
    let event: Event = event_row.into_domain()?;
    let (url, secrets) = target.decode(now)?;
    Ok(DueDelivery {
        delivery,
        url,
        secrets,
        event,
    })
}

/// Ends a leased delivery whose rows cannot be read (written around the
/// store), so that it stops failing every batch it is leased with:
/// `failed`, with `last_error` saying why (logged at `error`); its
/// secrets are never part of the message.
fn park(conn: &mut PgConnection, raw_id: i64, unreadable: RepoError) -> Result<(), Failure> {
    tracing::error!(delivery_id = raw_id, error = %unreadable, "webhook delivery set aside");
    diesel::update(webhook_deliveries::table.find(raw_id))
        .set((
            webhook_deliveries::status.eq("failed"),
            webhook_deliveries::next_attempt_at.eq(None::<Timestamp>),
            webhook_deliveries::last_error.eq(format!(
                "delivery set aside, its rows cannot be read: {unreadable}"
            )),
        ))
        .execute(conn)?;
    Ok(())
}
