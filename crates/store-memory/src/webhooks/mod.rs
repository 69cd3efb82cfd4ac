//! Webhook endpoints, their secrets, and the delivery outbox: the
//! endpoints in `endpoints`, the outbox in `outbox`, and here the port
//! over both, each call one step under the store's lock.

mod endpoints;
mod outbox;
mod secrets;

pub(crate) use endpoints::StoredEndpoint;

use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Event, OrgId, Timestamp, WebhookEndpoint,
    WebhookEndpointId,
};
use thunderphone_ports::{
    Attempt, DueDelivery, EndpointChange, ListCursor, NewWebhookEndpoint, Page, PageRequest,
    RepoError, SealedCredentials, StoredSecret, WebhookRepository,
};

use crate::MemoryStore;

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

    async fn secrets_sealed_with_other_keys(
        &self,
        key_id: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredSecret>, RepoError> {
        Ok(self
            .lock()
            .secrets_sealed_with_other_keys(key_id, now, limit))
    }

    async fn secret_sample_per_key(
        &self,
        now: Timestamp,
    ) -> Result<Vec<SealedCredentials>, RepoError> {
        Ok(self.lock().secret_sample_per_key(now))
    }

    async fn reseal_secret(
        &self,
        secret: StoredSecret,
        sealed: SealedCredentials,
    ) -> Result<bool, RepoError> {
        Ok(self.lock().reseal_secret(secret, sealed))
    }

    async fn wait_for_deliveries(&self, timeout: Duration) {
        let wake = self.lock().events.wake.clone();
        // The permit a write stored wakes us at once; otherwise the timeout.
        let _ = tokio::time::timeout(timeout, wake.notified()).await;
    }
}
