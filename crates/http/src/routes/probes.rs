//! Probes, `/v1/me` and the OpenAPI document.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::Reply;
use crate::HttpState;
use crate::dto::operator::MeDto;
use crate::extract::Caller;
use crate::problem::Problem;

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use web::to;
    r.add(__path_healthz, to(healthz))
        .add(__path_readyz, to(readyz))
        .add(__path_metrics, to(metrics))
        .add(__path_openapi, to(openapi))
        .add(__path_me, to(me));
}

/// Probe body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProbeStatus)]
pub struct ProbeDto {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "probes", responses((status = 200, description = "Up", body = ProbeDto)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(ProbeDto { status: "ok" })
}

/// The store is reachable.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "probes",
    responses((status = 200, description = "Ready", body = ProbeDto),
        (status = 503, description = "The store cannot be reached", body = Problem, content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<HttpState>) -> Reply {
    state.app.ready().await?;
    Ok(HttpResponse::Ok().json(ProbeDto { status: "ok" }))
}

/// Who the API key acts as.
#[utoipa::path(get, path = "/v1/me", operation_id = "get_me", tag = "me",
    responses((status = 200, description = "The caller", body = MeDto)),
    security(("api_key" = [])))]
pub async fn me(caller: Caller) -> HttpResponse {
    let p = caller.0;
    HttpResponse::Ok().json(MeDto {
        user_id: p.user_id.get(),
        org_id: p.org_id.get(),
        role: p.role.as_str(),
        api_key_id: p.api_key_id.get(),
    })
}

/// Prometheus metrics (text format).
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "probes", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<HttpState>) -> HttpResponse {
    state.refresh_store_metrics().await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/openapi.json", operation_id = "get_openapi", tag = "probes", responses((status = 200, description = "OpenAPI 3.1 JSON", body = Object, content_type = "application/json")))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::json())
}

/// `/docs` → `/docs/`: the interactive reference (Swagger UI, served from
/// the binary, no network needed) renders `/openapi.json`.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
