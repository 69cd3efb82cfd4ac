//! Agents of an org.

use async_trait::async_trait;
use diesel::dsl::{exists, select};
use diesel::prelude::*;
use thunderphone_domain::{Agent, AgentId, DisplayName, OrgId, Timestamp};
use thunderphone_ports::{AgentRepository, ListCursor, Page, PageRequest, RepoError};

use crate::PgStore;
use crate::error::{Failure, corrupt};
use crate::page::newest_first;
use crate::rows::id;
use crate::schema::{agents, phone_numbers};
use crate::tenancy::require_org;

/// An `agents` row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = agents, check_for_backend(diesel::pg::Pg))]
struct AgentRow {
    id: i64,
    org_id: i64,
    name: String,
    created_at: Timestamp,
}

impl AgentRow {
    fn into_domain(self) -> Result<Agent, Failure> {
        Ok(Agent {
            id: id("agent id", self.id, AgentId::new)?,
            org_id: id("org id", self.org_id, OrgId::new)?,
            name: DisplayName::parse(&self.name).map_err(|e| corrupt("agent name", e))?,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl AgentRepository for PgStore {
    async fn create_agent(
        &self,
        org_id: OrgId,
        name: DisplayName,
        now: Timestamp,
    ) -> Result<Agent, RepoError> {
        self.run("create_agent", move |conn| {
            conn.transaction(|conn| {
                require_org(conn, org_id)?;
                let raw: i64 = diesel::insert_into(agents::table)
                    .values((
                        agents::org_id.eq(org_id.get()),
                        agents::name.eq(name.as_str()),
                        agents::created_at.eq(now),
                    ))
                    .returning(agents::id)
                    .get_result(conn)?;
                Ok(Agent {
                    id: id("agent id", raw, AgentId::new)?,
                    org_id,
                    name,
                    created_at: now,
                })
            })
        })
        .await
    }

    async fn find_agent(&self, org_id: OrgId, agent: AgentId) -> Result<Option<Agent>, RepoError> {
        self.run("find_agent", move |conn| {
            agents::table
                .find(agent.get())
                .filter(agents::org_id.eq(org_id.get()))
                .select(AgentRow::as_select())
                .first(conn)
                .optional()?
                .map(AgentRow::into_domain)
                .transpose()
        })
        .await
    }

    async fn find_agents(&self, org_id: OrgId, ids: Vec<AgentId>) -> Result<Vec<Agent>, RepoError> {
        let raw: Vec<i64> = ids.into_iter().map(AgentId::get).collect();
        self.run("find_agents", move |conn| {
            agents::table
                .filter(agents::org_id.eq(org_id.get()))
                .filter(agents::id.eq_any(raw))
                .select(AgentRow::as_select())
                .load(conn)?
                .into_iter()
                .map(AgentRow::into_domain)
                .collect()
        })
        .await
    }

    async fn list_agents(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Agent, ListCursor>, RepoError> {
        self.run("list_agents", move |conn| {
            let query = agents::table
                .filter(agents::org_id.eq(org_id.get()))
                .select(AgentRow::as_select())
                .order((agents::created_at.desc(), agents::id.desc()))
                .into_boxed();
            newest_first(conn, query, page, AgentRow::into_domain, |a| ListCursor {
                created_at: a.created_at,
                id: a.id.get(),
            })
        })
        .await
    }

    async fn rename_agent(
        &self,
        org_id: OrgId,
        agent: AgentId,
        name: DisplayName,
    ) -> Result<Agent, RepoError> {
        self.run("rename_agent", move |conn| {
            diesel::update(
                agents::table
                    .find(agent.get())
                    .filter(agents::org_id.eq(org_id.get())),
            )
            .set(agents::name.eq(name.as_str()))
            .returning(AgentRow::as_returning())
            .get_result(conn)
            .optional()?
            .ok_or(Failure::Repo(RepoError::NotFound))?
            .into_domain()
        })
        .await
    }

    async fn delete_agent(&self, org_id: OrgId, agent: AgentId) -> Result<(), RepoError> {
        self.run("delete_agent", move |conn| {
            let deleted = conn.transaction::<_, Failure, _>(|conn| {
                // The row lock waits for writers that have just checked this
                // agent (they hold a key-share lock on it until they
                // commit), so the check below sees their assignments.
                let found = agents::table
                    .find(agent.get())
                    .filter(agents::org_id.eq(org_id.get()))
                    .select(agents::id)
                    .for_update()
                    .first::<i64>(conn)
                    .optional()?;
                if found.is_none() {
                    return Err(RepoError::NotFound.into());
                }
                // Deleted numbers hold no agents (cleared on delete), so
                // only live numbers are found here.
                let in_use: bool = select(exists(
                    phone_numbers::table.filter(
                        phone_numbers::inbound_agent_id
                            .eq(agent.get())
                            .or(phone_numbers::outbound_agent_id.eq(agent.get())),
                    ),
                ))
                .get_result(conn)?;
                if in_use {
                    return Err(RepoError::AgentInUse.into());
                }
                diesel::delete(agents::table.find(agent.get())).execute(conn)?;
                Ok(())
            });
            // The foreign keys are the backstop of the check above.
            deleted.map_err(|failure| {
                if failure.foreign_key_violation().is_some() {
                    RepoError::AgentInUse.into()
                } else {
                    failure
                }
            })
        })
        .await
    }
}
