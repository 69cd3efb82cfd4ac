//! The event log (API.md §14). Events are written by the stores in the
//! same transaction as the change they describe (see
//! [`crate::NumberRepository`]); this port reads and purges them.

use async_trait::async_trait;
use thunderphone_domain::{Event, EventId, EventType, OrgId, PhoneNumberId, Timestamp};

use crate::{Page, PageRequest, RepoError};

/// A fresh id for an event at `at`, from the OS random generator: the one
/// generator of the app (test events) and the memory store, so ids are
/// made alike wherever an event is recorded one at a time.
pub fn new_event_id(at: Timestamp) -> EventId {
    let mut random = [0u8; 16];
    // The time part alone keeps ids apart across milliseconds; randomness
    // keeps them apart within one. The OS generator does not fail in
    // practice, and a failure leaves the bytes zero, not the id invalid.
    let _ = getrandom::fill(&mut random);
    EventId::new(at, u128::from_le_bytes(random))
}

/// Filters of `GET /v1/events`; `None` matches everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EventFilter {
    pub kind: Option<EventType>,
    pub phone_number_id: Option<PhoneNumberId>,
}

impl EventFilter {
    /// True when `event` passes every filter that is set.
    pub fn matches(&self, event: &Event) -> bool {
        self.kind.is_none_or(|k| event.kind == k)
            && self
                .phone_number_id
                .is_none_or(|id| event.phone_number_id() == Some(id))
    }
}

/// Where a page of events ends: the store's position of the last event
/// (a sequence that grows with every event recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventCursor(pub i64);

/// Reads of the event log.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EventRepository: Send + Sync {
    /// One page of `org_id`'s events matching `filter`, newest first
    /// (the order they were recorded in, reversed).
    async fn list_events(
        &self,
        org_id: OrgId,
        filter: &EventFilter,
        page: PageRequest<EventCursor>,
    ) -> Result<Page<Event, EventCursor>, RepoError>;

    /// An event of `org_id`, or `None`.
    async fn find_event(&self, org_id: OrgId, id: EventId) -> Result<Option<Event>, RepoError>;

    /// Deletes up to `batch` events recorded before `before`, with their
    /// deliveries, in one transaction. Returns how many events it deleted;
    /// the caller repeats until fewer than `batch` are gone.
    async fn purge_events(&self, before: Timestamp, batch: usize) -> Result<usize, RepoError>;
}
