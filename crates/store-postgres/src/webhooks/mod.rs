//! Webhook endpoints and the delivery outbox (API.md §14).

mod deliveries;
mod endpoints;
mod lease;
mod listen;
mod secrets;

pub(crate) use listen::DeliverySignal;

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

use crate::PgStore;

#[async_trait]
impl WebhookRepository for PgStore {
    async fn create_endpoint(
        &self,
        new: NewWebhookEndpoint,
        max_per_org: usize,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        self.run("create_endpoint", move |conn| {
            endpoints::create(conn, new, max_per_org)
        })
        .await
    }

    async fn list_endpoints(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<WebhookEndpoint, ListCursor>, RepoError> {
        self.run("list_endpoints", move |conn| {
            endpoints::list(conn, org_id, page)
        })
        .await
    }

    async fn find_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        self.run("find_endpoint", move |conn| {
            endpoints::find(conn, org_id, id)
        })
        .await
    }

    async fn update_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
        change: EndpointChange,
    ) -> Result<WebhookEndpoint, RepoError> {
        let enabling = change.enabled == Some(true);
        let updated = self
            .run("update_endpoint", move |conn| {
                endpoints::update(conn, org_id, id, &change)
            })
            .await?;
        if enabling {
            // Its pending deliveries may be due.
            self.deliveries.wake();
        }
        Ok(updated)
    }

    async fn delete_endpoint(&self, org_id: OrgId, id: WebhookEndpointId) -> Result<(), RepoError> {
        self.run("delete_endpoint", move |conn| {
            endpoints::delete(conn, org_id, id)
        })
        .await
    }

    async fn rotate_secret(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
        secret: SealedCredentials,
        previous_until: Timestamp,
    ) -> Result<WebhookEndpoint, RepoError> {
        self.run("rotate_secret", move |conn| {
            endpoints::rotate(conn, org_id, id, &secret, previous_until)
        })
        .await
    }

    async fn list_deliveries(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest<DeliveryId>,
    ) -> Result<Page<Delivery, DeliveryId>, RepoError> {
        self.run("list_deliveries", move |conn| {
            deliveries::list(conn, org_id, endpoint_id, status, page)
        })
        .await
    }

    async fn retry_delivery(
        &self,
        org_id: OrgId,
        endpoint_id: WebhookEndpointId,
        delivery_id: DeliveryId,
        now: Timestamp,
    ) -> Result<Delivery, RepoError> {
        let delivery = self
            .run("retry_delivery", move |conn| {
                deliveries::retry(conn, org_id, endpoint_id, delivery_id, now)
            })
            .await?;
        self.deliveries.wake();
        Ok(delivery)
    }

    async fn record_test_event(
        &self,
        endpoint_id: WebhookEndpointId,
        event: Event,
    ) -> Result<Delivery, RepoError> {
        let delivery = self
            .run("record_test_event", move |conn| {
                deliveries::record_test(conn, endpoint_id, &event)
            })
            .await?;
        self.deliveries.wake();
        Ok(delivery)
    }

    async fn lease_due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
        lease_until: Timestamp,
    ) -> Result<Vec<DueDelivery>, RepoError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.run("lease_deliveries", move |conn| {
            lease::lease_due(conn, now, limit, lease_until)
        })
        .await
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<(), RepoError> {
        self.run("record_attempt", move |conn| {
            deliveries::record_attempt(conn, &attempt)
        })
        .await
    }

    async fn oldest_pending(&self) -> Result<Option<Timestamp>, RepoError> {
        self.run("oldest_pending", deliveries::oldest_pending).await
    }

    async fn secrets_sealed_with_other_keys(
        &self,
        key_id: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredSecret>, RepoError> {
        let key_id = key_id.to_owned();
        self.run("secrets_sealed_with_other_keys", move |conn| {
            secrets::sealed_with_other_keys(conn, &key_id, now, limit)
        })
        .await
    }

    async fn secret_sample_per_key(
        &self,
        now: Timestamp,
    ) -> Result<Vec<SealedCredentials>, RepoError> {
        self.run("secret_sample_per_key", move |conn| {
            secrets::sample_per_key(conn, now)
        })
        .await
    }

    async fn reseal_secret(
        &self,
        secret: StoredSecret,
        sealed: SealedCredentials,
    ) -> Result<bool, RepoError> {
        self.run("reseal_secret", move |conn| {
            secrets::reseal(conn, &secret, &sealed)
        })
        .await
    }

    async fn wait_for_deliveries(&self, timeout: Duration) {
        self.deliveries.wait(timeout).await;
    }
}
