//! The event log and its fan-out into deliveries: every event recorded
//! here is recorded under the same lock as the change it describes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use async_trait::async_trait;
use thunderphone_domain::{
    Actor, Delivery, DeliveryId, DeliveryStatus, Event, EventId, EventType, OrgId, PhoneNumber,
    Timestamp,
};
use thunderphone_ports::{
    CheckOutcome, EventCursor, EventFilter, EventRepository, Page, PageRequest, RepoError,
    new_event_id,
};
use tokio::sync::Notify;

use crate::MemoryStore;
use crate::state::{State, next_id};

/// The events and the outbox, inside [`State`].
#[derive(Default)]
pub(crate) struct EventLog {
    /// The last sequence number handed out.
    seq: i64,
    /// Events by sequence.
    pub(crate) events: BTreeMap<i64, Event>,
    /// Sequence by event id.
    by_id: HashMap<EventId, i64>,
    /// Each org's events, by sequence.
    by_org: HashMap<OrgId, BTreeSet<i64>>,
    /// The last delivery id handed out.
    pub(crate) delivery_counter: i64,
    /// Deliveries by id, with the sequence of their event.
    pub(crate) deliveries: BTreeMap<DeliveryId, (Delivery, i64)>,
    /// Wakes whoever waits for deliveries (one stored permit: a wake-up
    /// that comes before the wait is not lost).
    pub(crate) wake: Arc<Notify>,
}

impl EventLog {
    /// The sequence of an event.
    pub(crate) fn seq_of(&self, id: EventId) -> Option<i64> {
        self.by_id.get(&id).copied()
    }
}

impl State {
    /// Records an event and, unless it is a test event, one pending
    /// delivery due at once to every enabled endpoint of its org that
    /// subscribes to its type. Returns its sequence.
    pub(crate) fn record_event(&mut self, event: Event) -> Result<i64, RepoError> {
        let seq = next_id(
            &mut self.events.seq,
            Ok::<i64, thunderphone_domain::IdError>,
        )?;
        if event.kind != EventType::WebhookTest {
            let subscribed: Vec<_> = self
                .org_endpoints(event.org_id)
                .filter(|e| e.endpoint.enabled && e.endpoint.event_types.contains(event.kind))
                .map(|e| e.endpoint.id)
                .collect();
            for endpoint_id in subscribed {
                self.add_delivery(&event, seq, endpoint_id)?;
            }
        }
        self.events.by_id.insert(event.id, seq);
        self.events
            .by_org
            .entry(event.org_id)
            .or_default()
            .insert(seq);
        self.events.events.insert(seq, event);
        Ok(seq)
    }

    /// A pending delivery of `event` to an endpoint, due at once.
    pub(crate) fn add_delivery(
        &mut self,
        event: &Event,
        seq: i64,
        endpoint_id: thunderphone_domain::WebhookEndpointId,
    ) -> Result<Delivery, RepoError> {
        let id = next_id(&mut self.events.delivery_counter, DeliveryId::new)?;
        let delivery = Delivery {
            id,
            org_id: event.org_id,
            endpoint_id,
            event_id: event.id,
            event_type: event.kind,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_attempt_at: None,
            next_attempt_at: Some(event.created_at),
            last_response_status: None,
            last_error: None,
            created_at: event.created_at,
        };
        self.events.deliveries.insert(id, (delivery.clone(), seq));
        self.events.wake.notify_one();
        Ok(delivery)
    }

    /// Records the events of a change of `after` (see `Event::of_change`).
    pub(crate) fn record_change_events(
        &mut self,
        previous_org: OrgId,
        after: &PhoneNumber,
        change: thunderphone_domain::ChangeKind,
        actor: Option<Actor>,
        checks: Vec<CheckOutcome>,
    ) -> Result<(), RepoError> {
        let at = after.updated_at();
        for event in Event::of_change(previous_org, after, change, actor, checks, || {
            new_event_id(at)
        }) {
            self.record_event(event)?;
        }
        Ok(())
    }

    fn list_events(
        &self,
        org_id: OrgId,
        filter: &EventFilter,
        page: PageRequest<EventCursor>,
    ) -> Page<Event, EventCursor> {
        let upper = page
            .after
            .map_or(Bound::Unbounded, |EventCursor(seq)| Bound::Excluded(seq));
        let items: Vec<(i64, Event)> = self
            .events
            .by_org
            .get(&org_id)
            .into_iter()
            .flat_map(|seqs| seqs.range((Bound::Unbounded, upper)).rev())
            .filter_map(|seq| {
                let event = self.events.events.get(seq)?;
                filter.matches(event).then(|| (*seq, event.clone()))
            })
            .take(page.limit.get().saturating_add(1))
            .collect();
        let page = Page::from_overfetch(items, page.limit, |(seq, _)| EventCursor(*seq));
        Page {
            items: page.items.into_iter().map(|(_, e)| e).collect(),
            next: page.next,
        }
    }

    fn find_event(&self, org_id: OrgId, id: EventId) -> Option<Event> {
        let seq = self.events.seq_of(id)?;
        self.events
            .events
            .get(&seq)
            .filter(|e| e.org_id == org_id)
            .cloned()
    }

    fn purge_events(&mut self, before: Timestamp, batch: usize) -> usize {
        let doomed: Vec<i64> = self
            .events
            .events
            .iter()
            .filter(|(_, e)| e.created_at < before)
            .map(|(seq, _)| *seq)
            .take(batch)
            .collect();
        let gone: BTreeSet<i64> = doomed.iter().copied().collect();
        for seq in &doomed {
            if let Some(event) = self.events.events.remove(seq) {
                self.events.by_id.remove(&event.id);
                if let Some(seqs) = self.events.by_org.get_mut(&event.org_id) {
                    seqs.remove(seq);
                }
            }
        }
        self.events
            .deliveries
            .retain(|_, (_, seq)| !gone.contains(seq));
        doomed.len()
    }
}

#[async_trait]
impl EventRepository for MemoryStore {
    async fn list_events(
        &self,
        org_id: OrgId,
        filter: &EventFilter,
        page: PageRequest<EventCursor>,
    ) -> Result<Page<Event, EventCursor>, RepoError> {
        Ok(self.lock().list_events(org_id, filter, page))
    }

    async fn find_event(&self, org_id: OrgId, id: EventId) -> Result<Option<Event>, RepoError> {
        Ok(self.lock().find_event(org_id, id))
    }

    async fn purge_events(&self, before: Timestamp, batch: usize) -> Result<usize, RepoError> {
        Ok(self.lock().purge_events(before, batch))
    }
}
