//! The delivery outbox: rows, the delivery log, manual retries, test
//! events and recording attempts. Deliveries of recorded changes are
//! inserted by the `events_fan_out` trigger; leasing is in `lease.rs`.

use diesel::prelude::*;
use diesel::sql_types::{Int8, Text, Timestamptz};
use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Event, EventId, EventType, OrgId, Timestamp,
    WebhookEndpointId,
};
use thunderphone_ports::{Attempt, AttemptOutcome, Page, PageRequest, RepoError};

use crate::error::{Failure, corrupt};
use crate::events::EventRow;
use crate::page::overfetch;
use crate::rows::{id, wire};
use crate::schema::{events, webhook_deliveries, webhook_endpoints};

/// The channel the delivery workers of every instance listen on.
pub(crate) const CHANNEL: &str = "thunderphone_deliveries";

/// A `webhook_deliveries` row (the event's id and type are read with it).
#[derive(Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::pg::Pg))]
pub(super) struct DeliveryRow {
    pub(super) id: i64,
    org_id: i64,
    pub(super) endpoint_id: i64,
    pub(super) event_seq: i64,
    status: String,
    attempts: i32,
    last_attempt_at: Option<Timestamp>,
    pub(super) next_attempt_at: Option<Timestamp>,
    last_response_status: Option<i32>,
    last_error: Option<String>,
    created_at: Timestamp,
}

impl DeliveryRow {
    /// Restores the delivery of the event `event_id` of type `event_type`
    /// (as stored).
    pub(super) fn into_domain(self, event_id: &str, event_type: &str) -> Result<Delivery, Failure> {
        Ok(Delivery {
            id: id("delivery id", self.id, DeliveryId::new)?,
            org_id: id("org id", self.org_id, OrgId::new)?,
            endpoint_id: id(
                "webhook endpoint id",
                self.endpoint_id,
                WebhookEndpointId::new,
            )?,
            event_id: event_id
                .parse::<EventId>()
                .map_err(|e| corrupt("event id", e))?,
            event_type: wire::<EventType>("event type", event_type)?,
            status: wire::<DeliveryStatus>("delivery status", &self.status)?,
            attempts: u32::try_from(self.attempts).map_err(|e| corrupt("attempts", e))?,
            last_attempt_at: self.last_attempt_at,
            next_attempt_at: self.next_attempt_at,
            last_response_status: self
                .last_response_status
                .map(u16::try_from)
                .transpose()
                .map_err(|e| corrupt("response status", e))?,
            last_error: self.last_error,
            created_at: self.created_at,
        })
    }
}

/// Wakes the delivery workers of every instance when the transaction
/// commits (PostgreSQL sends a notification only then).
pub(super) fn notify(conn: &mut PgConnection) -> Result<(), Failure> {
    diesel::sql_query("SELECT pg_notify($1, '')")
        .bind::<Text, _>(CHANNEL)
        .execute(conn)?;
    Ok(())
}

/// Whether the endpoint is one of `org_id`'s; when `lock`, key-share
/// locks it, so it stays until the transaction ends.
fn endpoint_in_org(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
    lock: bool,
) -> Result<bool, Failure> {
    let query = webhook_endpoints::table
        .find(endpoint.get())
        .filter(webhook_endpoints::org_id.eq(org_id.get()))
        .select(webhook_endpoints::id);
    let found = if lock {
        query.for_key_share().first::<i64>(conn).optional()?
    } else {
        query.first::<i64>(conn).optional()?
    };
    Ok(found.is_some())
}

/// A delivery with its event's id and type.
fn read(conn: &mut PgConnection, delivery: i64) -> Result<Delivery, Failure> {
    let (row, event_id, kind): (DeliveryRow, String, String) = webhook_deliveries::table
        .inner_join(events::table)
        .filter(webhook_deliveries::id.eq(delivery))
        .select((DeliveryRow::as_select(), events::id, events::kind))
        .first(conn)?;
    row.into_domain(&event_id, &kind)
}

/// One page of an endpoint's deliveries, newest first.
pub(super) fn list(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
    status: Option<DeliveryStatus>,
    page: PageRequest<DeliveryId>,
) -> Result<Page<Delivery, DeliveryId>, Failure> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            if !endpoint_in_org(conn, org_id, endpoint, false)? {
                return Err(RepoError::NotFound.into());
            }
            let mut query = webhook_deliveries::table
                .inner_join(events::table)
                .filter(webhook_deliveries::endpoint_id.eq(endpoint.get()))
                .select((DeliveryRow::as_select(), events::id, events::kind))
                .order(webhook_deliveries::id.desc())
                .limit(overfetch(page.limit))
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(webhook_deliveries::status.eq(status.as_str()));
            }
            if let Some(after) = page.after {
                query = query.filter(webhook_deliveries::id.lt(after.get()));
            }
            let rows: Vec<(DeliveryRow, String, String)> = query.load(conn)?;
            let items = rows
                .into_iter()
                .map(|(row, event_id, kind)| row.into_domain(&event_id, &kind))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(items, page.limit, |d| d.id))
        })
}

/// `retry_delivery`: pending again, due at `now`, attempts kept.
pub(super) fn retry(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
    delivery: DeliveryId,
    now: Timestamp,
) -> Result<Delivery, Failure> {
    conn.transaction(|conn| {
        let updated = diesel::update(
            webhook_deliveries::table
                .find(delivery.get())
                .filter(webhook_deliveries::endpoint_id.eq(endpoint.get()))
                .filter(webhook_deliveries::org_id.eq(org_id.get())),
        )
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            webhook_deliveries::next_attempt_at.eq(now),
        ))
        .returning(webhook_deliveries::id)
        .get_result::<i64>(conn)
        .optional()?;
        let updated = updated.ok_or(RepoError::NotFound)?;
        notify(conn)?;
        read(conn, updated)
    })
}

/// `record_test_event`: the event (which the trigger does not fan out)
/// and one delivery of it to this endpoint, due at once.
pub(super) fn record_test(
    conn: &mut PgConnection,
    endpoint: WebhookEndpointId,
    event: &Event,
) -> Result<Delivery, Failure> {
    if event.kind != EventType::WebhookTest {
        return Err(corrupt("test event", event.kind));
    }
    let row = EventRow::new(event)?;
    conn.transaction(|conn| {
        if !endpoint_in_org(conn, event.org_id, endpoint, true)? {
            return Err(RepoError::NotFound.into());
        }
        let seq: i64 = diesel::insert_into(events::table)
            .values(&row)
            .returning(events::seq)
            .get_result(conn)?;
        let delivery: DeliveryRow = diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::org_id.eq(event.org_id.get()),
                webhook_deliveries::endpoint_id.eq(endpoint.get()),
                webhook_deliveries::event_seq.eq(seq),
                webhook_deliveries::next_attempt_at.eq(event.created_at),
                webhook_deliveries::created_at.eq(event.created_at),
            ))
            .returning(DeliveryRow::as_returning())
            .get_result(conn)?;
        notify(conn)?;
        delivery.into_domain(&event.id.to_string(), event.kind.as_str())
    })
}

/// A failure's effect on its endpoint: the run of failures starts at
/// `$2` unless it has already started, and once it started at or before
/// `$3` the endpoint is disabled with `$4` as the reason (the right-hand
/// sides read the row as it was).
const FAILED_ON_ENDPOINT: &str = "\
    UPDATE webhook_endpoints SET \
        failing_since = COALESCE(failing_since, $2), \
        disabled_reason = CASE WHEN enabled AND COALESCE(failing_since, $2) <= $3 \
            THEN $4 ELSE disabled_reason END, \
        enabled = enabled AND COALESCE(failing_since, $2) > $3 \
    WHERE id = $1";

/// `record_attempt`; an attempt of a delivery deleted since changes
/// nothing.
pub(super) fn record_attempt(conn: &mut PgConnection, attempt: &Attempt) -> Result<(), Failure> {
    let (status, next, response, error) = match &attempt.outcome {
        AttemptOutcome::Succeeded { status } => {
            (DeliveryStatus::Succeeded, None, Some(*status), None)
        }
        AttemptOutcome::Failed {
            status,
            error,
            retry_at: Some(at),
        } => (DeliveryStatus::Pending, Some(*at), *status, Some(error)),
        AttemptOutcome::Failed {
            status,
            error,
            retry_at: None,
        } => (DeliveryStatus::Failed, None, *status, Some(error)),
    };
    conn.transaction(|conn| {
        let endpoint = diesel::update(webhook_deliveries::table.find(attempt.delivery_id.get()))
            .set((
                webhook_deliveries::status.eq(status.as_str()),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_attempt_at.eq(attempt.at),
                webhook_deliveries::next_attempt_at.eq(next),
                webhook_deliveries::last_response_status.eq(response.map(i32::from)),
                webhook_deliveries::last_error.eq(error),
            ))
            .returning(webhook_deliveries::endpoint_id)
            .get_result::<i64>(conn)
            .optional()?;
        let Some(endpoint) = endpoint else {
            return Ok(());
        };
        if status == DeliveryStatus::Succeeded {
            diesel::update(
                webhook_endpoints::table
                    .find(endpoint)
                    .filter(webhook_endpoints::failing_since.is_not_null()),
            )
            .set(webhook_endpoints::failing_since.eq(None::<Timestamp>))
            .execute(conn)?;
        } else {
            diesel::sql_query(FAILED_ON_ENDPOINT)
                .bind::<Int8, _>(endpoint)
                .bind::<Timestamptz, _>(attempt.at)
                .bind::<Timestamptz, _>(attempt.disable_if_failing_since)
                .bind::<Text, _>(Attempt::DISABLED_REASON)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// When the oldest pending delivery the worker owes was created: of an
/// enabled endpoint, or a test event (the rows `lease_due` would take).
pub(super) fn oldest_pending(conn: &mut PgConnection) -> Result<Option<Timestamp>, Failure> {
    Ok(webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .inner_join(events::table)
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_endpoints::enabled.or(events::kind.eq(EventType::WebhookTest.as_str())))
        .select(diesel::dsl::min(webhook_deliveries::created_at))
        .first::<Option<Timestamp>>(conn)?)
}
