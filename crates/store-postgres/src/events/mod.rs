//! The event log (API.md §14): events are inserted by the writes they
//! describe (`record.rs`), read and purged here.

mod record;
mod row;

pub(crate) use record::{EventIds, insert, record};
pub(crate) use row::EventRow;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use thunderphone_domain::{Event, EventId, OrgId, Timestamp};
use thunderphone_ports::{EventCursor, EventFilter, EventRepository, Page, PageRequest, RepoError};

use crate::PgStore;
use crate::error::{Failure, corrupt};
use crate::page::overfetch;
use crate::schema::events;

/// Deletes up to `$2` events recorded before `$1` (their deliveries go by
/// the foreign key's cascade). Concurrent purges pass each other's rows
/// by.
const PURGE: &str = "\
    DELETE FROM events WHERE seq IN (\
        SELECT seq FROM events WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED\
    )";

fn list(
    conn: &mut PgConnection,
    org_id: OrgId,
    filter: &EventFilter,
    page: PageRequest<EventCursor>,
) -> Result<Page<Event, EventCursor>, Failure> {
    let mut query = events::table
        .filter(events::org_id.eq(org_id.get()))
        .select((events::seq, EventRow::as_select()))
        .order(events::seq.desc())
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(events::kind.eq(kind.as_str()));
    }
    if let Some(number) = filter.phone_number_id {
        query = query.filter(events::phone_number_id.eq(number.get()));
    }
    if let Some(EventCursor(seq)) = page.after {
        query = query.filter(events::seq.lt(seq));
    }
    let rows: Vec<(i64, EventRow)> = query.load(conn)?;
    let items = rows
        .into_iter()
        .map(|(seq, row)| Ok((seq, row.into_domain()?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    let page = Page::from_overfetch(items, page.limit, |(seq, _)| EventCursor(*seq));
    Ok(Page {
        items: page.items.into_iter().map(|(_, event)| event).collect(),
        next: page.next,
    })
}

fn find(conn: &mut PgConnection, org_id: OrgId, id: EventId) -> Result<Option<Event>, Failure> {
    events::table
        .filter(events::id.eq(id.to_string()))
        .filter(events::org_id.eq(org_id.get()))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .map(EventRow::into_domain)
        .transpose()
}

fn purge(conn: &mut PgConnection, before: Timestamp, batch: usize) -> Result<usize, Failure> {
    let limit = i64::try_from(batch).map_err(|e| corrupt("purge batch", e))?;
    Ok(diesel::sql_query(PURGE)
        .bind::<Timestamptz, _>(before)
        .bind::<BigInt, _>(limit)
        .execute(conn)?)
}

#[async_trait]
impl EventRepository for PgStore {
    async fn list_events(
        &self,
        org_id: OrgId,
        filter: &EventFilter,
        page: PageRequest<EventCursor>,
    ) -> Result<Page<Event, EventCursor>, RepoError> {
        let filter = *filter;
        self.run("list_events", move |conn| list(conn, org_id, &filter, page))
            .await
    }

    async fn find_event(&self, org_id: OrgId, id: EventId) -> Result<Option<Event>, RepoError> {
        self.run("find_event", move |conn| find(conn, org_id, id))
            .await
    }

    async fn purge_events(&self, before: Timestamp, batch: usize) -> Result<usize, RepoError> {
        if batch == 0 {
            return Ok(0);
        }
        self.run("purge_events", move |conn| purge(conn, before, batch))
            .await
    }
}
