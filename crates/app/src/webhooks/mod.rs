//! Webhook endpoints, their deliveries, and the worker that sends them
//! (API.md §14).

mod render;
mod schedule;
mod secret;
mod worker;

use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Description, Event, EventTypes, Principal,
    WebhookEndpoint, WebhookEndpointId, WebhookUrl,
};
use thunderphone_ports::{
    EndpointChange, ListCursor, NewWebhookEndpoint, OutboundError, Page, PageRequest,
};

pub use render::event_body;
pub use schedule::{RetrySchedule, ScheduleError};
pub use secret::SECRET_PREFIX;
pub use worker::{AttemptCounts, WebhookSettings};

use crate::authorize::Action;
use crate::error::StoreResult;
use crate::{App, AppError};

const ENDPOINT: &str = "webhook endpoint";
const DELIVERY: &str = "delivery";

/// `POST /v1/webhook-endpoints`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpointRequest {
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// What it receives (every type by default).
    pub event_types: EventTypes,
    /// Free text.
    pub description: Option<Description>,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointWithSecret {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`.
    pub secret: String,
}

impl App {
    /// Refuses a destination the server would never call: an address in a
    /// refused range written into the URL, or plain `http://` to anything
    /// the operator has not explicitly allowed. A name behind `https://`
    /// is judged on every attempt (DNS may change).
    async fn check_destination(&self, url: &WebhookUrl) -> Result<(), AppError> {
        let refused = |e: OutboundError| AppError::DestinationNotAllowed(e.to_string());
        let literal = self.ports.gate.check_literal(url.host()).map_err(refused)?;
        if url.is_https() {
            return Ok(());
        }
        let plain_http = || {
            AppError::DestinationNotAllowed(format!(
                "http:// is accepted only for destinations this server's operator allows; use https://{}",
                url.as_str().trim_start_matches("http://")
            ))
        };
        let addresses = match literal {
            Some(ip) => vec![ip],
            None => self
                .ports
                .gate
                .resolve(url.host(), url.port())
                .await
                .map_err(refused)?
                .into_iter()
                .map(|a| a.ip())
                .collect(),
        };
        if addresses
            .iter()
            .all(|ip| self.ports.gate.explicitly_allowed(*ip))
        {
            Ok(())
        } else {
            Err(plain_http())
        }
    }

    /// Creates an endpoint and its secret (admin+).
    ///
    /// # Errors
    /// `Forbidden`; `DestinationNotAllowed`; `LimitReached` at the org's
    /// limit; `NotConfigured` when secrets cannot be sealed; store errors.
    pub async fn create_webhook_endpoint(
        &self,
        caller: &Principal,
        request: NewEndpointRequest,
    ) -> Result<EndpointWithSecret, AppError> {
        self.authorize(caller, &Action::ManageWebhooks).await?;
        self.check_destination(&request.url).await?;
        let secret = secret::generate()?;
        let sealed = self.ports.vault.seal_webhook_secret(&secret.bytes)?;
        let new = NewWebhookEndpoint {
            org_id: caller.org_id,
            url: request.url,
            event_types: request.event_types,
            description: request.description,
            secret: sealed,
            created_at: self.ports.clock.now(),
        };
        let max = self.settings.webhooks.max_endpoints_per_org;
        match self
            .ports
            .webhooks
            .create_endpoint(new, max)
            .await
            .map_err(AppError::store)?
        {
            Some(endpoint) => Ok(EndpointWithSecret {
                endpoint,
                secret: secret.text,
            }),
            None => Err(AppError::LimitReached(format!(
                "an org has at most {max} webhook endpoints; delete one first"
            ))),
        }
    }

    /// The caller's org's endpoints, newest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_webhook_endpoints(
        &self,
        caller: &Principal,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<WebhookEndpoint, ListCursor>, AppError> {
        self.ports
            .webhooks
            .list_endpoints(caller.org_id, page)
            .await
            .map_err(AppError::store)
    }

    /// One endpoint of the caller's org.
    ///
    /// # Errors
    /// `NotFound`; store errors.
    pub async fn get_webhook_endpoint(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
    ) -> Result<WebhookEndpoint, AppError> {
        self.ports
            .webhooks
            .find_endpoint(caller.org_id, id)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::NotFound(ENDPOINT))
    }

    /// Changes an endpoint (admin+).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `DestinationNotAllowed`; store errors.
    pub async fn update_webhook_endpoint(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
        change: EndpointChange,
    ) -> Result<WebhookEndpoint, AppError> {
        self.authorize(caller, &Action::ManageWebhooks).await?;
        if let Some(url) = &change.url {
            self.check_destination(url).await?;
        }
        self.ports
            .webhooks
            .update_endpoint(caller.org_id, id, change)
            .await
            .not_found_as(ENDPOINT)
    }

    /// Deletes an endpoint and its deliveries (admin+).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; store errors.
    pub async fn delete_webhook_endpoint(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
    ) -> Result<(), AppError> {
        self.authorize(caller, &Action::ManageWebhooks).await?;
        self.ports
            .webhooks
            .delete_endpoint(caller.org_id, id)
            .await
            .not_found_as(ENDPOINT)
    }

    /// A new secret (admin+); the old one signs beside it for the grace
    /// period (24 h).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; `NotConfigured`; store errors.
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
    ) -> Result<EndpointWithSecret, AppError> {
        self.authorize(caller, &Action::ManageWebhooks).await?;
        let secret = secret::generate()?;
        let sealed = self.ports.vault.seal_webhook_secret(&secret.bytes)?;
        let until = self.ports.clock.now() + span(self.settings.webhooks.rotation_grace);
        let endpoint = self
            .ports
            .webhooks
            .rotate_secret(caller.org_id, id, sealed, until)
            .await
            .not_found_as(ENDPOINT)?;
        Ok(EndpointWithSecret {
            endpoint,
            secret: secret.text,
        })
    }

    /// An endpoint's deliveries, newest first.
    ///
    /// # Errors
    /// `NotFound` for an endpoint not in the caller's org; store errors.
    pub async fn list_webhook_deliveries(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        page: PageRequest<DeliveryId>,
    ) -> Result<Page<Delivery, DeliveryId>, AppError> {
        self.ports
            .webhooks
            .list_deliveries(caller.org_id, id, status, page)
            .await
            .not_found_as(ENDPOINT)
    }

    /// Attempts a delivery again now, whatever its status (admin+).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; store errors.
    pub async fn retry_webhook_delivery(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
        delivery: DeliveryId,
    ) -> Result<Delivery, AppError> {
        self.authorize(caller, &Action::ManageWebhooks).await?;
        let now = self.ports.clock.now();
        self.get_webhook_endpoint(caller, id).await?;
        self.ports
            .webhooks
            .retry_delivery(caller.org_id, id, delivery, now)
            .await
            .not_found_as(DELIVERY)
    }

    /// Sends a `webhook.test` event to one endpoint (admin+).
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`; store errors.
    pub async fn send_webhook_test(
        &self,
        caller: &Principal,
        id: WebhookEndpointId,
    ) -> Result<Delivery, AppError> {
        self.authorize(caller, &Action::ManageWebhooks).await?;
        let now = self.ports.clock.now();
        let event = Event::test(caller.org_id, now, thunderphone_ports::new_event_id(now));
        self.ports
            .webhooks
            .record_test_event(id, event)
            .await
            .not_found_as(ENDPOINT)
    }
}

/// A std duration as a chrono one (saturating).
pub(crate) fn span(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
