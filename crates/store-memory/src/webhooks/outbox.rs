//! The delivery outbox: deliveries, their leases and attempts.

use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Event, EventType, OrgId, Timestamp, WebhookEndpointId,
};
use thunderphone_ports::{Attempt, AttemptOutcome, DueDelivery, Page, PageRequest, RepoError};

use crate::state::State;

impl State {
    pub(super) fn list_deliveries(
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

    pub(super) fn retry_delivery(
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

    pub(super) fn record_test_event(
        &mut self,
        endpoint_id: WebhookEndpointId,
        event: Event,
    ) -> Result<Delivery, RepoError> {
        self.org_endpoint(event.org_id, endpoint_id)
            .ok_or(RepoError::NotFound)?;
        let seq = self.record_event(event.clone())?;
        self.add_delivery(&event, seq, endpoint_id)
    }

    pub(super) fn lease_due_deliveries(
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

    pub(super) fn record_attempt(&mut self, attempt: Attempt) {
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

    pub(super) fn oldest_pending(&self) -> Option<Timestamp> {
        self.events
            .deliveries
            .values()
            .filter(|(d, seq)| {
                d.status == DeliveryStatus::Pending
                    && (self
                        .endpoints
                        .get(&d.endpoint_id)
                        .is_some_and(|e| e.endpoint.enabled)
                        || self
                            .events
                            .events
                            .get(seq)
                            .is_some_and(|e| e.kind == EventType::WebhookTest))
            })
            .map(|(d, _)| d.created_at)
            .min()
    }
}
