//! VoIP connections and their credentials.

use async_trait::async_trait;
use thunderphone_domain::{Actor, OrgId, PhoneNumber, Timestamp, VoipConnection, VoipConnectionId};
use thunderphone_ports::{
    ListCursor, NewVoipConnection, Page, PageRequest, RepoError, SealedCredentials,
    VoipConnectionRepository,
};

use crate::MemoryStore;
use crate::state::{
    State, StoredConnection, cursor, index_insert, index_remove, keyset_page, next_id,
};

impl State {
    fn create_connection(&mut self, new: NewVoipConnection) -> Result<VoipConnection, RepoError> {
        self.require_org(new.org_id)?;
        let id = next_id(&mut self.counters.connection, VoipConnectionId::new)?;
        let connection = VoipConnection {
            id,
            org_id: new.org_id,
            name: new.name,
            provider: new.provider,
            termination_uri: new.termination_uri,
            created_at: new.created_at,
        };
        index_insert(
            &mut self.connections_by_org,
            new.org_id,
            new.created_at,
            id.get(),
        );
        self.connections.insert(
            id,
            StoredConnection {
                connection: connection.clone(),
                credentials: new.credentials,
            },
        );
        Ok(connection)
    }

    fn org_connection(&self, org_id: OrgId, id: VoipConnectionId) -> Option<&StoredConnection> {
        self.connections
            .get(&id)
            .filter(|c| c.connection.org_id == org_id)
    }

    fn list_connections(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Page<VoipConnection, ListCursor> {
        keyset_page(
            self.connections_by_org.get(&org_id),
            page,
            |id| {
                self.org_connection(org_id, VoipConnectionId::new(id).ok()?)
                    .map(|c| c.connection.clone())
            },
            |c| cursor(c.created_at, c.id.get()),
        )
    }

    fn delete_connection(
        &mut self,
        org_id: OrgId,
        id: VoipConnectionId,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<(), RepoError> {
        let created_at = self
            .org_connection(org_id, id)
            .ok_or(RepoError::NotFound)?
            .connection
            .created_at;
        // Numbers only link connections of their own org (checked on every
        // write), so the org's numbers are all the linked ones.
        let detached: Vec<_> = self
            .org_numbers(org_id)
            .filter(|n| n.voip_connection_id() == Some(id))
            .filter_map(|n: &PhoneNumber| n.detach_connection(now))
            .collect();
        for updated in detached {
            self.apply_change(updated, actor, Vec::new())?;
        }
        self.connections.remove(&id);
        index_remove(&mut self.connections_by_org, org_id, created_at, id.get());
        Ok(())
    }
}

#[async_trait]
impl VoipConnectionRepository for MemoryStore {
    async fn create_connection(&self, new: NewVoipConnection) -> Result<VoipConnection, RepoError> {
        self.lock().create_connection(new)
    }

    async fn find_connection(
        &self,
        org_id: OrgId,
        id: VoipConnectionId,
    ) -> Result<Option<VoipConnection>, RepoError> {
        Ok(self
            .lock()
            .org_connection(org_id, id)
            .map(|c| c.connection.clone()))
    }

    async fn find_connection_credentials(
        &self,
        org_id: OrgId,
        id: VoipConnectionId,
    ) -> Result<Option<(VoipConnection, SealedCredentials)>, RepoError> {
        Ok(self
            .lock()
            .org_connection(org_id, id)
            .map(|c| (c.connection.clone(), c.credentials.clone())))
    }

    async fn list_connections(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<VoipConnection, ListCursor>, RepoError> {
        Ok(self.lock().list_connections(org_id, page))
    }

    async fn delete_connection(
        &self,
        org_id: OrgId,
        id: VoipConnectionId,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<(), RepoError> {
        self.lock().delete_connection(org_id, id, now, actor)
    }

    async fn sealed_with_other_keys(
        &self,
        key_id: &str,
        limit: usize,
    ) -> Result<Vec<(VoipConnectionId, SealedCredentials)>, RepoError> {
        let state = self.lock();
        let mut found: Vec<_> = state
            .connections
            .iter()
            .filter(|(_, c)| c.credentials.key_id != key_id)
            .map(|(id, c)| (*id, c.credentials.clone()))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found.truncate(limit);
        Ok(found)
    }

    async fn sealed_sample_per_key(&self) -> Result<Vec<SealedCredentials>, RepoError> {
        let state = self.lock();
        let mut newest: std::collections::BTreeMap<&str, (VoipConnectionId, &SealedCredentials)> =
            std::collections::BTreeMap::new();
        for (id, c) in &state.connections {
            let slot = newest
                .entry(c.credentials.key_id.as_str())
                .or_insert((*id, &c.credentials));
            if *id > slot.0 {
                *slot = (*id, &c.credentials);
            }
        }
        Ok(newest
            .into_values()
            .map(|(_, sealed)| sealed.clone())
            .collect())
    }

    async fn reseal(
        &self,
        id: VoipConnectionId,
        previous: SealedCredentials,
        sealed: SealedCredentials,
    ) -> Result<bool, RepoError> {
        let mut state = self.lock();
        match state.connections.get_mut(&id) {
            Some(stored) if stored.credentials == previous => {
                stored.credentials = sealed;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
