//! Agents of an org (API.md §12).

use std::collections::{BTreeSet, HashMap};

use thunderphone_domain::{Agent, AgentId, DisplayName, Principal};
use thunderphone_ports::{ListCursor, Page, PageRequest};

use crate::error::StoreResult;
use crate::{App, AppError, FieldError};

const AGENT: &str = "agent";

/// Most agents [`App::agent_names`] looks up at once: two per number of
/// the largest page, with room to spare.
pub const MAX_NAMED_AGENTS: usize = 1000;

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

    /// The names of the caller's agents among `ids` (at most
    /// [`MAX_NAMED_AGENTS`] distinct ones), for showing a page of numbers
    /// or versions without reading every agent of the org. Ids not in the
    /// org are left out.
    ///
    /// # Errors
    /// `Validation` on `ids` past the bound; store errors.
    pub async fn agent_names(
        &self,
        caller: &Principal,
        ids: impl IntoIterator<Item = AgentId>,
    ) -> Result<HashMap<AgentId, DisplayName>, AppError> {
        let wanted: BTreeSet<AgentId> = ids.into_iter().collect();
        if wanted.len() > MAX_NAMED_AGENTS {
            return Err(AppError::Validation(vec![FieldError::new(
                "ids",
                format!("at most {MAX_NAMED_AGENTS} agents at once"),
            )]));
        }
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let found = self
            .ports
            .agents
            .find_agents(caller.org_id, wanted.into_iter().collect())
            .await
            .map_err(AppError::store)?;
        Ok(found.into_iter().map(|a| (a.id, a.name)).collect())
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
