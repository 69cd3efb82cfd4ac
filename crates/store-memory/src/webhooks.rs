//! Webhook endpoints, their secrets, and the delivery outbox.

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Event, EventType, OrgId, Timestamp, WebhookEndpoint,
    WebhookEndpointId,
};
use thunderphone_ports::{
    Attempt, AttemptOutcome, DueDelivery, EndpointChange, ListCursor, NewWebhookEndpoint, Page,
    PageRequest, RepoError, SealedCredentials, WebhookRepository,
};

use crate::MemoryStore;
use crate::state::{State, cursor, index_insert, index_remove, keyset_page, next_id};

/// An endpoint with what only the store and the sender see.
#[derive(Clone)]
pub(crate) struct StoredEndpoint {
    pub(crate) endpoint: WebhookEndpoint,
    secret: SealedCredentials,
    /// The secret before the last rotation, and until when it signs.
    previous: Option<(SealedCredentials, Timestamp)>,
    /// The first failed attempt since the last success.
    failing_since: Option<Timestamp>,
}

impl State {
    /// The endpoints of an org, in no particular order.
    pub(crate) fn org_endpoints(&self, org_id: OrgId) -> impl Iterator<Item = &StoredEndpoint> {
        self.endpoints_by_org
            .get(&org_id)
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| self.endpoints.get(&WebhookEndpointId::new(*id).ok()?))
    }

    fn org_endpoint(&self, org_id: OrgId, id: WebhookEndpointId) -> Option<&StoredEndpoint> {
        self.endpoints
            .get(&id)
            .filter(|e| e.endpoint.org_id == org_id)
    }

    fn org_endpoint_mut(
        &mut self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Result<&mut StoredEndpoint, RepoError> {
        self.endpoints
            .get_mut(&id)
            .filter(|e| e.endpoint.org_id == org_id)
            .ok_or(RepoError::NotFound)
    }

    fn create_endpoint(
        &mut self,
        new: NewWebhookEndpoint,
        max_per_org: usize,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        self.require_org(new.org_id)?;
        if self.org_endpoints(new.org_id).count() >= max_per_org {
            return Ok(None);
        }
        let id = next_id(&mut self.counters.webhook_endpoint, WebhookEndpointId::new)?;
        let endpoint = WebhookEndpoint {
            id,
            org_id: new.org_id,
            url: new.url,
            event_types: new.event_types,
            description: new.description,
            enabled: true,
            disabled_reason: None,
            created_at: new.created_at,
        };
        index_insert(
            &mut self.endpoints_by_org,
            new.org_id,
            new.created_at,
            id.get(),
        );
        self.endpoints.insert(
            id,
            StoredEndpoint {
                endpoint: endpoint.clone(),
                secret: new.secret,
                previous: None,
                failing_since: None,
            },
        );
        Ok(Some(endpoint))
    }

    fn update_endpoint(
        &mut self,
        org_id: OrgId,
        id: WebhookEndpointId,
        change: EndpointChange,
    ) -> Result<WebhookEndpoint, RepoError> {
        let stored = self.org_endpoint_mut(org_id, id)?;
        let endpoint = &mut stored.endpoint;
        if let Some(url) = change.url {
            endpoint.url = url;
        }
        if let Some(types) = change.event_types {
            endpoint.event_types = types;
        }
        if let Some(description) = change.description {
            endpoint.description = description;
        }
        match change.enabled {
            Some(true) => {
                endpoint.enabled = true;
                endpoint.disabled_reason = None;
                stored.failing_since = None;
            }
            Some(false) => endpoint.enabled = false,
            None => {}
        }
        Ok(stored.endpoint.clone())
    }

    fn delete_endpoint(&mut self, org_id: OrgId, id: WebhookEndpointId) -> Result<(), RepoError> {
        let created_at = self
            .org_endpoint(org_id, id)
            .ok_or(RepoError::NotFound)?
            .endpoint
            .created_at;
        self.endpoints.remove(&id);
        index_remove(&mut self.endpoints_by_org, org_id, created_at, id.get());
        self.events
            .deliveries
            .retain(|_, (d, _)| d.endpoint_id != id);
        Ok(())
    }

    fn rotate_secret(
        &mut self,
        org_id: OrgId,
        id: WebhookEndpointId,
        secret: SealedCredentials,
        previous_until: Timestamp,
    ) -> Result<WebhookEndpoint, RepoError> {
        let stored = self.org_endpoint_mut(org_id, id)?;
        let previous = std::mem::replace(&mut stored.secret, secret);
        stored.previous = Some((previous, previous_until));
        Ok(stored.endpoint.clone())
    }

    fn list_deliveries(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest<DeliveryId>,
    ) -> Result<Page<Delivery, DeliveryId>, RepoError> {
        self.org_endpoint(org_id, endpoint_id)
            .ok_or(RepoError::NotFound)?;
        let upper = page
            .after
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let items = self
            .events
            .deliveries
            .range((std::ops::Bound::Unbounded, upper))
            .rev()
            .map(|(_, (d, _))| d)
            .filter(|d| d.endpoint_id == endpoint_id && status.is_none_or(|s| d.status == s))
            .take(page.limit.get().saturating_add(1))
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |d: &Delivery| d.id))
    }

    fn retry_delivery(
        &mut self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        delivery_id: DeliveryId,
        now: Timestamp,
    ) -> Result<Delivery, RepoError> {
        self.org_endpoint(org_id, endpoint_id)
            .ok_or(RepoError::NotFound)?;
        let (delivery, _) = self
            .events
            .deliveries
            .get_mut(&delivery_id)
            .filter(|(d, _)| d.endpoint_id == endpoint_id)
            .ok_or(RepoError::NotFound)?;
        delivery.status = DeliveryStatus::Pending;
        delivery.next_attempt_at = Some(now);
        let delivery = delivery.clone();
        self.events.wake.notify_one();
        Ok(delivery)
    }

    fn record_test_event(
        &mut self,
        endpoint_id: WebhookEndpointId,
        event: Event,
    ) -> Result<Delivery, RepoError> {
        self.org_endpoint(event.org_id, endpoint_id)
            .ok_or(RepoError::NotFound)?;
        let seq = self.record_event(event.clone())?;
        self.add_delivery(&event, seq, endpoint_id)
    }

    fn lease_due_deliveries(
        &mut self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> Result<Vec<DueDelivery>, RepoError> {
        let mut due: Vec<(Timestamp, DeliveryId)> = self
            .events
            .deliveries
            .values()
            .filter(|(d, _)| d.status == DeliveryStatus::Pending)
            .filter_map(|(d, _)| Some((d.next_attempt_at?, d.id)))
            .filter(|(at, _)| *at <= now)
            .collect();
        due.sort_unstable();
        let mut leased = Vec::new();
        for (_, id) in due {
            if leased.len() >= limit {
                break;
            }
            let Some((delivery, seq)) = self.events.deliveries.get(&id) else {
                continue;
            };
            let (Some(stored), Some(event)) = (
                self.endpoints.get(&delivery.endpoint_id),
                self.events.events.get(seq),
            ) else {
                continue;
            };
            if !stored.endpoint.enabled && event.kind != EventType::WebhookTest {
                continue;
            }
            let mut secrets = vec![stored.secret.clone()];
            if let Some((previous, until)) = &stored.previous
                && *until > now
            {
                secrets.push(previous.clone());
            }
            leased.push(DueDelivery {
                delivery: delivery.clone(),
                url: stored.endpoint.url.clone(),
                secrets,
                event: event.clone(),
            });
        }
        for due in &leased {
            if let Some((delivery, _)) = self.events.deliveries.get_mut(&due.delivery.id) {
                delivery.next_attempt_at = Some(lease_until);
            }
        }
        Ok(leased)
    }

    fn record_attempt(&mut self, attempt: Attempt) {
        let Some((delivery, _)) = self.events.deliveries.get_mut(&attempt.delivery_id) else {
            return;
        };
        delivery.attempts = delivery.attempts.saturating_add(1);
        delivery.last_attempt_at = Some(attempt.at);
        let succeeded = match attempt.outcome {
            AttemptOutcome::Succeeded { status } => {
                delivery.status = DeliveryStatus::Succeeded;
                delivery.next_attempt_at = None;
                delivery.last_response_status = Some(status);
                delivery.last_error = None;
                true
            }
            AttemptOutcome::Failed {
                status,
                error,
                retry_at,
            } => {
                delivery.status = if retry_at.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                };
                delivery.next_attempt_at = retry_at;
                delivery.last_response_status = status;
                delivery.last_error = Some(error);
                false
            }
        };
        let endpoint_id = delivery.endpoint_id;
        let Some(stored) = self.endpoints.get_mut(&endpoint_id) else {
            return;
        };
        if succeeded {
            stored.failing_since = None;
            return;
        }
        let since = *stored.failing_since.get_or_insert(attempt.at);
        if stored.endpoint.enabled && since <= attempt.disable_if_failing_since {
            stored.endpoint.enabled = false;
            stored.endpoint.disabled_reason = Some(Attempt::DISABLED_REASON.to_owned());
        }
    }

    fn oldest_pending(&self) -> Option<Timestamp> {
        self.events
            .deliveries
            .values()
            .filter(|(d, _)| d.status == DeliveryStatus::Pending)
            .map(|(d, _)| d.created_at)
            .min()
    }

    fn list_endpoints(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Page<WebhookEndpoint, ListCursor> {
        keyset_page(
            self.endpoints_by_org.get(&org_id),
            page,
            |id| {
                self.org_endpoint(org_id, WebhookEndpointId::new(id).ok()?)
                    .map(|e| e.endpoint.clone())
            },
            |e| cursor(e.created_at, e.id.get()),
        )
    }
}

#[async_trait]
impl WebhookRepository for MemoryStore {
    async fn create_endpoint(
        &self,
        new: NewWebhookEndpoint,
        max_per_org: usize,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        self.lock().create_endpoint(new, max_per_org)
    }

    async fn list_endpoints(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<WebhookEndpoint, ListCursor>, RepoError> {
        Ok(self.lock().list_endpoints(org_id, page))
    }

    async fn find_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        Ok(self
            .lock()
            .org_endpoint(org_id, id)
            .map(|e| e.endpoint.clone()))
    }

    async fn update_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
        change: EndpointChange,
    ) -> Result<WebhookEndpoint, RepoError> {
        self.lock().update_endpoint(org_id, id, change)
    }

    async fn delete_endpoint(&self, org_id: OrgId, id: WebhookEndpointId) -> Result<(), RepoError> {
        self.lock().delete_endpoint(org_id, id)
    }

    async fn rotate_secret(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
        secret: SealedCredentials,
        previous_until: Timestamp,
    ) -> Result<WebhookEndpoint, RepoError> {
        self.lock()
            .rotate_secret(org_id, id, secret, previous_until)
    }

    async fn list_deliveries(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest<DeliveryId>,
    ) -> Result<Page<Delivery, DeliveryId>, RepoError> {
        self.lock()
            .list_deliveries(org_id, endpoint_id, status, page)
    }

    async fn retry_delivery(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        delivery_id: DeliveryId,
        now: Timestamp,
    ) -> Result<Delivery, RepoError> {
        self.lock()
            .retry_delivery(org_id, endpoint_id, delivery_id, now)
    }

    async fn record_test_event(
        &self,
        endpoint_id: WebhookEndpointId,
        event: Event,
    ) -> Result<Delivery, RepoError> {
        self.lock().record_test_event(endpoint_id, event)
    }

    async fn lease_due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> Result<Vec<DueDelivery>, RepoError> {
        self.lock().lease_due_deliveries(now, limit, lease_until)
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<(), RepoError> {
        self.lock().record_attempt(attempt);
        Ok(())
    }

    async fn oldest_pending(&self) -> Result<Option<Timestamp>, RepoError> {
        Ok(self.lock().oldest_pending())
    }

    async fn wait_for_deliveries(&self, timeout: Duration) {
        let wake = self.lock().events.wake.clone();
        // The permit a write stored wakes us at once; otherwise the timeout.
        let _ = tokio::time::timeout(timeout, wake.notified()).await;
    }
}
