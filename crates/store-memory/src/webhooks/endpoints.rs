//! Endpoints and their secrets.

use thunderphone_domain::{OrgId, Timestamp, WebhookEndpoint, WebhookEndpointId};
use thunderphone_ports::{
    EndpointChange, ListCursor, NewWebhookEndpoint, Page, PageRequest, RepoError, SealedCredentials,
};

use crate::state::{State, cursor, index_insert, index_remove, keyset_page, next_id};

/// An endpoint with what only the store and the sender see.
#[derive(Clone)]
pub(crate) struct StoredEndpoint {
    pub(crate) endpoint: WebhookEndpoint,
    pub(super) secret: SealedCredentials,
    /// The secret before the last rotation, and until when it signs.
    pub(super) previous: Option<(SealedCredentials, Timestamp)>,
    /// The first failed attempt since the last success.
    pub(super) failing_since: Option<Timestamp>,
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

    pub(super) fn org_endpoint(
        &self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Option<&StoredEndpoint> {
        self.endpoints
            .get(&id)
            .filter(|e| e.endpoint.org_id == org_id)
    }

    pub(super) fn org_endpoint_mut(
        &mut self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Result<&mut StoredEndpoint, RepoError> {
        self.endpoints
            .get_mut(&id)
            .filter(|e| e.endpoint.org_id == org_id)
            .ok_or(RepoError::NotFound)
    }

    pub(super) fn create_endpoint(
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

    pub(super) fn update_endpoint(
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

    pub(super) fn delete_endpoint(
        &mut self,
        org_id: OrgId,
        id: WebhookEndpointId,
    ) -> Result<(), RepoError> {
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

    pub(super) fn rotate_secret(
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

    pub(super) fn list_endpoints(
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
