//! `/v1/agents` (API.md §12).

use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_domain::AgentId;

use super::Reply;
use crate::HttpState;
use crate::dto::agents::{AgentBody, AgentDto, AgentList};
use crate::dto::page::CursorScope;
use crate::extract::{Caller, IgnoredBody, JsonBody, QueryParams, path_id};
use crate::problem::Problem;

fn agent_id(raw: &str) -> Result<AgentId, Problem> {
    path_id(raw, "agent")
}

/// Create an agent.
#[utoipa::path(post, path = "/v1/agents", operation_id = "create_agent", tag = "agents", request_body = AgentBody,
    responses(
        (status = 201, description = "Created", body = AgentDto, headers(("Location" = String, description = "/v1/agents/{id}"))),
        (status = 400, description = "Not JSON, wrong types or unknown fields", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(get, path = "/v1/agents", operation_id = "list_agents", tag = "agents",
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, 1–200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from `next_cursor`")),
    responses((status = 200, description = "One page", body = AgentList),
        (status = 422, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn list(state: web::Data<HttpState>, caller: Caller, req: HttpRequest) -> Reply {
    let query = QueryParams::parse(req.query_string(), &["limit", "cursor"])?;
    let scope = CursorScope::new("agents", caller.0.org_id, &query);
    let page = state
        .app
        .list_agents(&caller.0, state.cursors.list_request(&query, &scope)?)
        .await?;
    Ok(HttpResponse::Ok().json(AgentList {
        data: page.items.iter().map(AgentDto::from).collect(),
        next_cursor: page
            .next
            .map(|next| state.cursors.encode_list(next, &scope)),
    }))
}

/// Retrieve an agent.
#[utoipa::path(get, path = "/v1/agents/{agent_id}", operation_id = "get_agent", tag = "agents",
    params(("agent_id" = i64, Path, minimum = 1, example = 1, description = "Agent id")),
    responses((status = 200, description = "The agent", body = AgentDto),
        (status = 404, description = "No such agent in the caller's org", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn get(state: web::Data<HttpState>, caller: Caller, path: web::Path<String>) -> Reply {
    let agent = state.app.get_agent(&caller.0, agent_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(AgentDto::from(&agent)))
}

/// Rename an agent.
#[utoipa::path(patch, path = "/v1/agents/{agent_id}", operation_id = "rename_agent", tag = "agents",
    params(("agent_id" = i64, Path, minimum = 1, example = 1, description = "Agent id")), request_body = AgentBody,
    responses((status = 200, description = "Renamed", body = AgentDto),
        (status = 404, description = "No such agent", body = Problem, content_type = "application/problem+json"),
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
#[utoipa::path(delete, path = "/v1/agents/{agent_id}", operation_id = "delete_agent", tag = "agents",
    params(("agent_id" = i64, Path, minimum = 1, example = 1, description = "Agent id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such agent", body = Problem, content_type = "application/problem+json"),
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
