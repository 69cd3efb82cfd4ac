//! `/v1/agents` (API.md §12).

use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_domain::AgentId;

use super::{Reply, org_list};
use crate::HttpState;
use crate::dto::agents::{AgentBody, AgentDto, AgentList};
use crate::dto::params::{AgentPath, PageParams};
use crate::extract::{Caller, IgnoredBody, JsonBody, path_id};
use crate::problem::Problem;

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use web::to;
    r.add(__path_list, to(list))
        .add(
            __path_create,
            crate::idempotent(to(create), |_| Some(thunderphone_app::Action::CreateAgent)),
        )
        .add(__path_get, to(get))
        .add(__path_rename, to(rename))
        .add(__path_delete, to(delete));
}

fn agent_id(raw: &str) -> Result<AgentId, Problem> {
    path_id(raw, "agent")
}

/// Create an agent.
#[utoipa::path(post, path = "/v1/agents", operation_id = "create_agent", tag = "agents", request_body = AgentBody,
    responses(
        (status = 201, description = "Created", body = AgentDto, headers(("Location" = String, description = "/v1/agents/{id}"))),
        (status = 422, description = "Missing or invalid name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn create(
    state: web::Data<HttpState>,
    caller: Caller,
    body: JsonBody<AgentBody>,
) -> Reply {
    let agent = state.app.create_agent(&caller.0, body.0.name()?).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/agents/{}", agent.id)))
        .json(AgentDto::from(&agent)))
}

/// List agents, newest first.
#[utoipa::path(get, path = "/v1/agents", operation_id = "list_agents", tag = "agents", params(PageParams),
    responses((status = 200, description = "One page", body = AgentList)),
    security(("api_key" = [])))]
pub async fn list(state: web::Data<HttpState>, caller: Caller, req: HttpRequest) -> Reply {
    let (agents, next_cursor) = org_list(&state, &caller.0, &req, "agents", |page| {
        state.app.list_agents(&caller.0, page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AgentList {
        data: agents.iter().map(AgentDto::from).collect(),
        next_cursor,
    }))
}

/// Retrieve an agent.
#[utoipa::path(get, path = "/v1/agents/{agent_id}", operation_id = "get_agent", tag = "agents", params(AgentPath),
    responses((status = 200, description = "The agent", body = AgentDto)),
    security(("api_key" = [])))]
pub async fn get(state: web::Data<HttpState>, caller: Caller, path: web::Path<String>) -> Reply {
    let agent = state.app.get_agent(&caller.0, agent_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

/// Rename an agent.
#[utoipa::path(patch, path = "/v1/agents/{agent_id}", operation_id = "rename_agent", tag = "agents", params(AgentPath), request_body = AgentBody,
    responses((status = 200, description = "Renamed", body = AgentDto),
        (status = 422, description = "Missing or invalid name", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn rename(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<AgentBody>,
) -> Reply {
    let id = agent_id(&path)?;
    let agent = state
        .app
        .rename_agent(&caller.0, id, body.0.name()?)
        .await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

/// Delete an agent that no number uses.
#[utoipa::path(delete, path = "/v1/agents/{agent_id}", operation_id = "delete_agent", tag = "agents", params(AgentPath),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "`agent_in_use`: a number still uses it", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn delete(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    _body: IgnoredBody,
) -> Reply {
    state.app.delete_agent(&caller.0, agent_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
