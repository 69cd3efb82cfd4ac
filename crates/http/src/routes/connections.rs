//! `/v1/voip-connections` and import (API.md §12).

use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_app::ImportRequest;
use thunderphone_domain::VoipConnectionId;

use super::{Reply, org_list};
use crate::HttpState;
use crate::dto::connections::{ConnectionBody, ConnectionDto, ConnectionList, ImportBody};
use crate::dto::numbers::ImportedNumbers;
use crate::dto::params::{ConnectionPath, PageParams};
use crate::extract::{Caller, IgnoredBody, JsonBody, path_id};
use crate::problem::Problem;

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use thunderphone_app::Action;
    use web::to;
    let idempotent = crate::idempotent;
    r.add(__path_list, to(list))
        .add(
            __path_create,
            idempotent(to(create), |_| Some(Action::CreateConnection)),
        )
        .add(__path_get, to(get))
        .add(__path_delete, to(delete))
        .add(
            __path_import,
            idempotent(to(import), |_| Some(Action::ImportNumbers)),
        );
}

fn connection_id(raw: &str) -> Result<VoipConnectionId, Problem> {
    path_id(raw, "VoIP connection")
}

/// Create a VoIP connection (admin+). Credentials are write-only.
#[utoipa::path(post, path = "/v1/voip-connections", operation_id = "create_voip_connection", tag = "voip-connections", request_body = ConnectionBody,
    responses(
        (status = 201, description = "Created", body = ConnectionDto, headers(("Location" = String, description = "/v1/voip-connections/{id}"))),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, provider, termination URI or credentials", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn create(
    state: web::Data<HttpState>,
    caller: Caller,
    body: JsonBody<ConnectionBody>,
) -> Reply {
    let request = body.0.into_request()?;
    let connection = state.app.create_connection(&caller.0, request).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/v1/voip-connections/{}", connection.id),
        ))
        .json(ConnectionDto::from(&connection)))
}

/// List VoIP connections, newest first.
#[utoipa::path(get, path = "/v1/voip-connections", operation_id = "list_voip_connections", tag = "voip-connections", params(PageParams),
    responses((status = 200, description = "One page", body = ConnectionList)),
    security(("api_key" = [])))]
pub async fn list(state: web::Data<HttpState>, caller: Caller, req: HttpRequest) -> Reply {
    let (connections, next_cursor) =
        org_list(&state, &caller.0, &req, "voip-connections", |page| {
            state.app.list_connections(&caller.0, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ConnectionList {
        data: connections.iter().map(ConnectionDto::from).collect(),
        next_cursor,
    }))
}

/// Retrieve a VoIP connection (without credentials).
#[utoipa::path(get, path = "/v1/voip-connections/{voip_connection_id}", operation_id = "get_voip_connection", tag = "voip-connections", params(ConnectionPath),
    responses((status = 200, description = "The connection", body = ConnectionDto)),
    security(("api_key" = [])))]
pub async fn get(state: web::Data<HttpState>, caller: Caller, path: web::Path<String>) -> Reply {
    let connection = state
        .app
        .get_connection(&caller.0, connection_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(ConnectionDto::from(&connection)))
}

/// Delete a VoIP connection (admin+); its numbers are detached.
#[utoipa::path(delete, path = "/v1/voip-connections/{voip_connection_id}", operation_id = "delete_voip_connection", tag = "voip-connections", params(ConnectionPath),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn delete(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    _body: IgnoredBody,
) -> Reply {
    state
        .app
        .delete_connection(&caller.0, connection_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import 1–100 of the customer's numbers through the connection, all or nothing.
#[utoipa::path(post, path = "/v1/voip-connections/{voip_connection_id}/import", operation_id = "import_voip_numbers", tag = "voip-connections",
    params(ConnectionPath), request_body = ImportBody,
    responses(
        (status = 201, description = "Imported: each `voip`, `provisioning`, `unverified`", body = ImportedNumbers),
        (status = 409, description = "`number_taken`: a number is held already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lists each invalid or repeated number", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn import(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<ImportBody>,
) -> Reply {
    let id = connection_id(&path)?;
    let numbers = body
        .0
        .numbers
        .ok_or_else(|| Problem::invalid("numbers", "is required"))?;
    let imported = state
        .app
        .import_numbers(&caller.0, id, ImportRequest { numbers })
        .await?;
    Ok(HttpResponse::Created().json(super::numbers::imported(&imported)))
}
