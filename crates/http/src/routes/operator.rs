//! `/admin/v1`: the operator API (API.md §13), behind
//! `THUNDERPHONE_ADMIN_TOKEN`.

use actix_web::{HttpResponse, web};
use thunderphone_domain::{ApiKeyId, DisplayName, Email, OrgId, Role, UserId};

use super::Reply;
use crate::HttpState;
use crate::dto::operator::{
    ApiKeyBody, ApiKeyDto, MembershipBody, MembershipDto, OrgBody, OrgDto, UserBody, UserDto,
};
use crate::extract::{IgnoredBody, JsonBody, Operator, path_id};
use crate::problem::Problem;

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use web::to;
    r.add(__path_create_org, to(create_org))
        .add(__path_create_user, to(create_user))
        .add(__path_set_membership, to(set_membership))
        .add(__path_create_api_key, to(create_api_key))
        .add(__path_revoke_api_key, to(revoke_api_key));
}

fn parse<T, E: ToString>(
    field: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<T, Problem> {
    let raw = value.ok_or_else(|| Problem::invalid(field, "is required"))?;
    parse(&raw).map_err(|e| Problem::invalid(field, e.to_string()))
}

fn id<T>(
    field: &str,
    value: Option<i64>,
    make: impl Fn(i64) -> Result<T, thunderphone_domain::IdError>,
) -> Result<T, Problem> {
    let raw = value.ok_or_else(|| Problem::invalid(field, "is required"))?;
    make(raw).map_err(|e| Problem::invalid(field, e.to_string()))
}

/// Create an org.
#[utoipa::path(post, path = "/admin/v1/orgs", operation_id = "create_org", tag = "operator", request_body = OrgBody,
    responses((status = 201, description = "Created", body = OrgDto),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json")),
    security(("admin_token" = [])))]
pub async fn create_org(
    state: web::Data<HttpState>,
    _: Operator,
    body: JsonBody<OrgBody>,
) -> Reply {
    let name = parse("name", body.0.name, DisplayName::parse)?;
    let org = state.app.create_org(name).await?;
    Ok(HttpResponse::Created().json(OrgDto::from(&org)))
}

/// Create a user.
#[utoipa::path(post, path = "/admin/v1/users", operation_id = "create_user", tag = "operator", request_body = UserBody,
    responses((status = 201, description = "Created", body = UserDto),
        (status = 422, description = "Invalid or already registered e-mail", body = Problem, content_type = "application/problem+json")),
    security(("admin_token" = [])))]
pub async fn create_user(
    state: web::Data<HttpState>,
    _: Operator,
    body: JsonBody<UserBody>,
) -> Reply {
    let email = parse("email", body.0.email, Email::parse)?;
    let user = state.app.create_user(email).await?;
    Ok(HttpResponse::Created().json(UserDto::from(&user)))
}

/// Set a user's role in an org (creates the membership if needed).
#[utoipa::path(put, path = "/admin/v1/orgs/{org_id}/members/{user_id}", operation_id = "set_membership", tag = "operator",
    params(("org_id" = i64, Path, minimum = 1, example = 1, description = "Org id"), ("user_id" = i64, Path, minimum = 1, example = 1, description = "User id")),
    request_body = MembershipBody,
    responses((status = 200, description = "The membership", body = MembershipDto),
        (status = 422, description = "Invalid role", body = Problem, content_type = "application/problem+json")),
    security(("admin_token" = [])))]
pub async fn set_membership(
    state: web::Data<HttpState>,
    _: Operator,
    path: web::Path<(String, String)>,
    body: JsonBody<MembershipBody>,
) -> Reply {
    let org_id: OrgId = path_id(&path.0, "org")?;
    let user_id: UserId = path_id(&path.1, "user")?;
    let role = parse("role", body.0.role, str::parse::<Role>)?;
    let membership = state.app.set_membership(org_id, user_id, role).await?;
    Ok(HttpResponse::Ok().json(MembershipDto::from(&membership)))
}

/// Issue an API key for a member of an org. The key is in this response only.
#[utoipa::path(post, path = "/admin/v1/api-keys", operation_id = "create_api_key", tag = "operator", request_body = ApiKeyBody,
    responses((status = 201, description = "Created; store `key` now", body = ApiKeyDto),
        (status = 422, description = "Missing ids, or the user is not a member of the org", body = Problem, content_type = "application/problem+json")),
    security(("admin_token" = [])))]
pub async fn create_api_key(
    state: web::Data<HttpState>,
    _: Operator,
    body: JsonBody<ApiKeyBody>,
) -> Reply {
    let user_id = id("user_id", body.0.user_id, UserId::new)?;
    let org_id = id("org_id", body.0.org_id, OrgId::new)?;
    let issued = state.app.create_api_key(user_id, org_id).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(ApiKeyDto::from(&issued)))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/admin/v1/api-keys/{api_key_id}", operation_id = "revoke_api_key", tag = "operator",
    params(("api_key_id" = i64, Path, minimum = 1, example = 1, description = "Key id")),
    responses((status = 204, description = "Revoked; an unknown or already revoked key is a 404")),
    security(("admin_token" = [])))]
pub async fn revoke_api_key(
    state: web::Data<HttpState>,
    _: Operator,
    path: web::Path<String>,
    _body: IgnoredBody,
) -> Reply {
    let id: ApiKeyId = path_id(&path, "API key")?;
    state.app.revoke_api_key(id).await?;
    Ok(HttpResponse::NoContent().finish())
}
