//! The event log (API.md §14): reading it, and the purge that keeps it to
//! 30 days.

use std::time::Duration;

use thunderphone_domain::{Event, EventId, Principal};
use thunderphone_ports::{EventCursor, EventFilter, Page, PageRequest};

use crate::webhooks::span;
use crate::{App, AppError};

/// How long events (and their deliveries) are kept.
pub const EVENT_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

impl App {
    /// The caller's org's events, newest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_events(
        &self,
        caller: &Principal,
        filter: &EventFilter,
        page: PageRequest<EventCursor>,
    ) -> Result<Page<Event, EventCursor>, AppError> {
        self.ports
            .events
            .list_events(caller.org_id, filter, page)
            .await
            .map_err(AppError::store)
    }

    /// One event of the caller's org.
    ///
    /// # Errors
    /// `NotFound`; store errors.
    pub async fn get_event(&self, caller: &Principal, id: EventId) -> Result<Event, AppError> {
        self.ports
            .events
            .find_event(caller.org_id, id)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::NotFound("event"))
    }

    /// Deletes events older than [`EVENT_RETENTION`], `batch` per
    /// transaction, until none are left. Returns how many it deleted.
    ///
    /// # Errors
    /// Store errors (what was deleted before stays deleted).
    pub async fn purge_events(&self, batch: usize) -> Result<u64, AppError> {
        let before = self.ports.clock.now() - span(EVENT_RETENTION);
        let batch = batch.max(1);
        let mut total = 0u64;
        loop {
            let deleted = self
                .ports
                .events
                .purge_events(before, batch)
                .await
                .map_err(AppError::store)?;
            total = total.saturating_add(u64::try_from(deleted).unwrap_or(u64::MAX));
            if deleted < batch {
                return Ok(total);
            }
        }
    }

    /// The purge job: runs [`App::purge_events`] every `every` until
    /// `shutdown` completes.
    pub async fn run_event_purge(
        &self,
        every: Duration,
        batch: usize,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            match self.purge_events(batch).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "events older than 30 days purged"),
                Err(error) => tracing::warn!(%error, "cannot purge old events"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
