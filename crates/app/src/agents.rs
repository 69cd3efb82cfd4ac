//! Agents of an org (API.md §12).

use thunderphone_domain::{Agent, AgentId, DisplayName, Principal};
use thunderphone_ports::{ListCursor, Page, PageRequest};

use crate::error::StoreResult;
use crate::{App, AppError};

const AGENT: &str = "agent";

impl App {
    /// Creates an agent in the caller's org.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn create_agent(
        &self,
        caller: &Principal,
        name: DisplayName,
    ) -> Result<Agent, AppError> {
        let now = self.ports.clock.now();
        self.ports
            .agents
            .create_agent(caller.org_id, name, now)
            .await
            .map_err(AppError::store)
    }

    /// An agent of the caller's org.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get_agent(&self, caller: &Principal, id: AgentId) -> Result<Agent, AppError> {
        self.ports
            .agents
            .find_agent(caller.org_id, id)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::NotFound(AGENT))
    }

    /// One page of the caller's agents.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn list_agents(
        &self,
        caller: &Principal,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Agent, ListCursor>, AppError> {
        self.ports
            .agents
            .list_agents(caller.org_id, page)
            .await
            .map_err(AppError::store)
    }

    /// Renames an agent.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn rename_agent(
        &self,
        caller: &Principal,
        id: AgentId,
        name: DisplayName,
    ) -> Result<Agent, AppError> {
        self.ports
            .agents
            .rename_agent(caller.org_id, id, name)
            .await
            .not_found_as(AGENT)
    }

    /// Deletes an agent no number uses.
    ///
    /// # Errors
    /// `NotFound`; `AgentInUse`.
    pub async fn delete_agent(&self, caller: &Principal, id: AgentId) -> Result<(), AppError> {
        self.ports
            .agents
            .delete_agent(caller.org_id, id)
            .await
            .not_found_as(AGENT)
    }
}
