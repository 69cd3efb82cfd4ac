//! Agents of an org (API.md §12).

use thunderphone_domain::{Agent, AgentId, DisplayName, Principal};
use thunderphone_ports::{ListCursor, Page, PageRequest, RepoError};

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
        Ok(self
            .ports
            .agents
            .create_agent(caller.org_id, name, now)
            .await?)
    }

    /// An agent of the caller's org.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get_agent(&self, caller: &Principal, id: AgentId) -> Result<Agent, AppError> {
        self.ports
            .agents
            .find_agent(caller.org_id, id)
            .await?
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
        Ok(self.ports.agents.list_agents(caller.org_id, page).await?)
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
        not_found_as(
            self.ports
                .agents
                .rename_agent(caller.org_id, id, name)
                .await,
            AGENT,
        )
    }

    /// Deletes an agent no number uses.
    ///
    /// # Errors
    /// `NotFound`; `AgentInUse`.
    pub async fn delete_agent(&self, caller: &Principal, id: AgentId) -> Result<(), AppError> {
        not_found_as(
            self.ports.agents.delete_agent(caller.org_id, id).await,
            AGENT,
        )
    }
}

/// Names the missing resource in a `NotFound`.
pub(crate) fn not_found_as<T>(
    result: Result<T, RepoError>,
    what: &'static str,
) -> Result<T, AppError> {
    match result {
        Err(RepoError::NotFound) => Err(AppError::NotFound(what)),
        other => Ok(other?),
    }
}
