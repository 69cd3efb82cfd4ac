//! Agents of an org.

use async_trait::async_trait;
use thunderphone_domain::{Agent, AgentId, DisplayName, OrgId, Timestamp};
use thunderphone_ports::{AgentRepository, ListCursor, Page, PageRequest, RepoError};

use crate::MemoryStore;
use crate::state::{State, cursor, index_insert, index_remove, keyset_page, next_id};

impl State {
    pub(crate) fn create_agent(
        &mut self,
        org_id: OrgId,
        name: DisplayName,
        now: Timestamp,
    ) -> Result<Agent, RepoError> {
        self.require_org(org_id)?;
        let id = next_id(&mut self.counters.agent, AgentId::new)?;
        let agent = Agent {
            id,
            org_id,
            name,
            created_at: now,
        };
        index_insert(&mut self.agents_by_org, org_id, now, id.get());
        self.agents.insert(id, agent.clone());
        Ok(agent)
    }

    fn org_agent(&self, org_id: OrgId, id: AgentId) -> Option<&Agent> {
        self.agents.get(&id).filter(|a| a.org_id == org_id)
    }

    fn list_agents(&self, org_id: OrgId, page: PageRequest<ListCursor>) -> Page<Agent, ListCursor> {
        keyset_page(
            self.agents_by_org.get(&org_id),
            page,
            |id| self.org_agent(org_id, AgentId::new(id).ok()?).cloned(),
            |a| cursor(a.created_at, a.id.get()),
        )
    }

    fn rename_agent(
        &mut self,
        org_id: OrgId,
        id: AgentId,
        name: DisplayName,
    ) -> Result<Agent, RepoError> {
        let agent = self
            .agents
            .get_mut(&id)
            .filter(|a| a.org_id == org_id)
            .ok_or(RepoError::NotFound)?;
        agent.name = name;
        Ok(agent.clone())
    }

    fn delete_agent(&mut self, org_id: OrgId, id: AgentId) -> Result<(), RepoError> {
        let created_at = self
            .org_agent(org_id, id)
            .ok_or(RepoError::NotFound)?
            .created_at;
        // Numbers only ever refer to agents of their own org (checked on
        // every write, cleared on transfer), so the org's numbers suffice.
        if self.org_numbers(org_id).any(|n| n.uses_agent(id)) {
            return Err(RepoError::AgentInUse);
        }
        self.agents.remove(&id);
        index_remove(&mut self.agents_by_org, org_id, created_at, id.get());
        Ok(())
    }
}

#[async_trait]
impl AgentRepository for MemoryStore {
    async fn create_agent(
        &self,
        org_id: OrgId,
        name: DisplayName,
        now: Timestamp,
    ) -> Result<Agent, RepoError> {
        self.lock().create_agent(org_id, name, now)
    }

    async fn find_agent(&self, org_id: OrgId, id: AgentId) -> Result<Option<Agent>, RepoError> {
        Ok(self.lock().org_agent(org_id, id).cloned())
    }

    async fn find_agents(&self, org_id: OrgId, ids: Vec<AgentId>) -> Result<Vec<Agent>, RepoError> {
        let state = self.lock();
        Ok(ids
            .into_iter()
            .filter_map(|id| state.org_agent(org_id, id).cloned())
            .collect())
    }

    async fn list_agents(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Agent, ListCursor>, RepoError> {
        Ok(self.lock().list_agents(org_id, page))
    }

    async fn rename_agent(
        &self,
        org_id: OrgId,
        id: AgentId,
        name: DisplayName,
    ) -> Result<Agent, RepoError> {
        self.lock().rename_agent(org_id, id, name)
    }

    async fn delete_agent(&self, org_id: OrgId, id: AgentId) -> Result<(), RepoError> {
        self.lock().delete_agent(org_id, id)
    }
}
