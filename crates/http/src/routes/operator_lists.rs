//! `GET /admin/v1/…`: the operator's lists (API.md §17), paginated like
//! every list (§4) with signed cursors scoped to the operator API.

use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_domain::OrgId;

use super::Reply;
use crate::HttpState;
use crate::dto::operator::{MembershipDto, OrgDto, UserDto};
use crate::dto::operator_lists::{
    API_KEY_PARAMS, ApiKeyList, ApiKeyRecordDto, MembershipList, OrgList, UserList, api_key_filter,
};
use crate::dto::page::CursorScope;
use crate::dto::params::PageParams;
use crate::extract::{Operator, QueryParams, path_id};

const PAGE_PARAMS: &[&str] = &["limit", "cursor"];

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use web::to;
    r.add(__path_list_orgs, to(list_orgs))
        .add(__path_list_users, to(list_users))
        .add(__path_list_members, to(list_members))
        .add(__path_list_api_keys, to(list_api_keys));
}

/// List orgs, newest first.
#[utoipa::path(get, path = "/admin/v1/orgs", operation_id = "list_orgs", tag = "operator",
    params(PageParams),
    responses((status = 200, description = "One page", body = OrgList)),
    security(("admin_token" = [])))]
pub async fn list_orgs(state: web::Data<HttpState>, _: Operator, req: HttpRequest) -> Reply {
    let query = QueryParams::parse(req.query_string(), PAGE_PARAMS)?;
    let scope = CursorScope::operator("orgs", &query);
    let page = state
        .app
        .list_orgs(state.cursors.list_request(&query, &scope)?)
        .await?;
    Ok(HttpResponse::Ok().json(OrgList {
        data: page.items.iter().map(OrgDto::from).collect(),
        next_cursor: page.next.map(|n| state.cursors.encode_list(n, &scope)),
    }))
}

/// List users, newest first.
#[utoipa::path(get, path = "/admin/v1/users", operation_id = "list_users", tag = "operator",
    params(PageParams),
    responses((status = 200, description = "One page", body = UserList)),
    security(("admin_token" = [])))]
pub async fn list_users(state: web::Data<HttpState>, _: Operator, req: HttpRequest) -> Reply {
    let query = QueryParams::parse(req.query_string(), PAGE_PARAMS)?;
    let scope = CursorScope::operator("users", &query);
    let page = state
        .app
        .list_users(state.cursors.list_request(&query, &scope)?)
        .await?;
    Ok(HttpResponse::Ok().json(UserList {
        data: page.items.iter().map(UserDto::from).collect(),
        next_cursor: page.next.map(|n| state.cursors.encode_list(n, &scope)),
    }))
}

/// List an org's members, newest user first.
#[utoipa::path(get, path = "/admin/v1/orgs/{org_id}/members", operation_id = "list_members", tag = "operator",
    params(("org_id" = i64, Path, minimum = 1, example = 1, description = "Org id"), PageParams),
    responses((status = 200, description = "One page", body = MembershipList)),
    security(("admin_token" = [])))]
pub async fn list_members(
    state: web::Data<HttpState>,
    _: Operator,
    path: web::Path<String>,
    req: HttpRequest,
) -> Reply {
    let org_id: OrgId = path_id(&path, "org")?;
    let query = QueryParams::parse(req.query_string(), PAGE_PARAMS)?;
    let scope = CursorScope::operator(&format!("members:{org_id}"), &query);
    let page = state
        .app
        .list_members(org_id, state.cursors.list_request(&query, &scope)?)
        .await?;
    Ok(HttpResponse::Ok().json(MembershipList {
        data: page.items.iter().map(MembershipDto::from).collect(),
        next_cursor: page.next.map(|n| state.cursors.encode_list(n, &scope)),
    }))
}

/// List API keys (never their secrets), newest first, revoked ones
/// included.
#[utoipa::path(get, path = "/admin/v1/api-keys", operation_id = "list_api_keys", tag = "operator",
    params(("org_id" = Option<i64>, Query, minimum = 1, description = "Only keys acting in this org"),
        ("user_id" = Option<i64>, Query, minimum = 1, description = "Only keys of this user"), PageParams),
    responses((status = 200, description = "One page", body = ApiKeyList)),
    security(("admin_token" = [])))]
pub async fn list_api_keys(state: web::Data<HttpState>, _: Operator, req: HttpRequest) -> Reply {
    let query = QueryParams::parse(req.query_string(), API_KEY_PARAMS)?;
    let filter = api_key_filter(&query)?;
    let scope = CursorScope::operator("api-keys", &query);
    let page = state
        .app
        .list_api_keys(filter, state.cursors.list_request(&query, &scope)?)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiKeyList {
            data: page.items.iter().map(ApiKeyRecordDto::from).collect(),
            next_cursor: page.next.map(|n| state.cursors.encode_list(n, &scope)),
        }))
}
