//! Recording events inside the transaction of the change they describe.
//! The deliveries of each event are inserted by the `events_fan_out`
//! trigger of the same statement (see the migration and
//! `docs/POSTGRES.md`).

use diesel::prelude::*;
use thunderphone_domain::{EventId, Timestamp};
use thunderphone_ports::RepoError;

use super::row::EventRow;
use crate::error::Failure;
use crate::prepared::Prepared;
use crate::schema::events;

/// Rows per multi-row INSERT (22 columns each), well below PostgreSQL's
/// 65,535 bind parameters.
const INSERT_CHUNK: usize = 1_000;

/// Fresh event ids for one write, all at `at`: one draw of randomness,
/// then consecutive values, so handing out ids cannot fail half-way
/// (`Event::of_change` takes an infallible id source).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventIds {
    at: Timestamp,
    next: u128,
}

impl EventIds {
    /// Ids of events at `at`.
    ///
    /// # Errors
    /// `Unexpected` when the system's random source fails.
    pub(crate) fn at(at: Timestamp) -> Result<Self, Failure> {
        let mut bytes = [0_u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| RepoError::unexpected(format!("no randomness for event ids: {e}")))?;
        Ok(Self {
            at,
            next: u128::from_le_bytes(bytes),
        })
    }

    /// The next id.
    pub(crate) fn next_id(&mut self) -> EventId {
        let id = EventId::new(self.at, self.next);
        self.next = self.next.wrapping_add(1);
        id
    }
}

/// Inserts `rows`; their deliveries follow from the trigger. Call inside
/// the transaction of the change. A single event (the common case) is
/// one prepared statement.
pub(crate) fn insert(conn: &mut PgConnection, rows: &[EventRow]) -> Result<(), Failure> {
    if let [row] = rows {
        Prepared(
            diesel::insert_into(events::table)
                .values(row)
                .returning(events::seq),
        )
        .get_result::<i64>(conn)?;
        return Ok(());
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        diesel::insert_into(events::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(())
}

/// Encodes and inserts `events`.
pub(crate) fn record(
    conn: &mut PgConnection,
    events: &[thunderphone_domain::Event],
) -> Result<(), Failure> {
    let rows = events
        .iter()
        .map(EventRow::new)
        .collect::<Result<Vec<_>, _>>()?;
    insert(conn, &rows)
}
