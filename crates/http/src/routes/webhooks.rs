//! `/v1/webhook-endpoints` (API.md §14).

use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_app::Action;
use thunderphone_domain::{DeliveryId, DeliveryStatus, WebhookEndpointId};

use super::{Reply, org_list};
use crate::HttpState;
use crate::dto::page::CursorScope;
use crate::dto::params::{DeliveryFilterParams, DeliveryPath, PageParams, WebhookEndpointPath};
use crate::dto::webhooks::{
    CreateEndpointBody, DeliveryDto, DeliveryList, EndpointDto, EndpointList,
    EndpointWithSecretDto, UpdateEndpointBody,
};
use crate::extract::{Caller, IgnoredBody, JsonBody, QueryParams, path_id};
use crate::problem::Problem;

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use web::to;
    let manage = |_: &[u8]| Some(Action::ManageWebhooks);
    r.add(__path_list, to(list))
        .add(
            __path_create,
            crate::idempotent_secret_once(to(create), manage),
        )
        .add(__path_get, to(get))
        .add(__path_update, to(update))
        .add(__path_delete, to(delete))
        .add(
            __path_rotate_secret,
            crate::idempotent_secret_once(to(rotate_secret), manage),
        )
        .add(__path_deliveries, to(deliveries))
        .add(__path_retry, crate::idempotent(to(retry), manage))
        .add(__path_test, crate::idempotent(to(test), manage));
}

fn endpoint_id(raw: &str) -> Result<WebhookEndpointId, Problem> {
    path_id(raw, "webhook endpoint")
}

/// Create a webhook endpoint (admin+). The answer carries its signing
/// secret, shown this once.
#[utoipa::path(post, path = "/v1/webhook-endpoints", operation_id = "create_webhook_endpoint", tag = "webhooks", request_body = CreateEndpointBody,
    responses(
        (status = 201, description = "Created, with its secret", body = EndpointWithSecretDto, headers(("Location" = String, description = "/v1/webhook-endpoints/{id}"))),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`limit_reached`: the org has 20 endpoints", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `destination_not_allowed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])))]
pub async fn create(
    state: web::Data<HttpState>,
    caller: Caller,
    body: JsonBody<CreateEndpointBody>,
) -> Reply {
    let request = body.0.request()?;
    let created = state
        .app
        .create_webhook_endpoint(&caller.0, request)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/v1/webhook-endpoints/{}", created.endpoint.id),
        ))
        .json(EndpointWithSecretDto::from(&created)))
}

/// List webhook endpoints, newest first.
#[utoipa::path(get, path = "/v1/webhook-endpoints", operation_id = "list_webhook_endpoints", tag = "webhooks", params(PageParams),
    responses((status = 200, description = "One page", body = EndpointList)),
    security(("api_key" = [])))]
pub async fn list(state: web::Data<HttpState>, caller: Caller, req: HttpRequest) -> Reply {
    let (endpoints, next_cursor) = org_list(&state, &caller.0, &req, "webhook_endpoints", |page| {
        state.app.list_webhook_endpoints(&caller.0, page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EndpointList {
        data: endpoints.iter().map(EndpointDto::from).collect(),
        next_cursor,
    }))
}

/// Retrieve a webhook endpoint.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{webhook_endpoint_id}", operation_id = "get_webhook_endpoint", tag = "webhooks", params(WebhookEndpointPath),
    responses((status = 200, description = "The endpoint", body = EndpointDto)),
    security(("api_key" = [])))]
pub async fn get(state: web::Data<HttpState>, caller: Caller, path: web::Path<String>) -> Reply {
    let endpoint = state
        .app
        .get_webhook_endpoint(&caller.0, endpoint_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(EndpointDto::from(&endpoint)))
}

/// Change a webhook endpoint (admin+): `url`, `event_types`,
/// `description`, `enabled`.
#[utoipa::path(patch, path = "/v1/webhook-endpoints/{webhook_endpoint_id}", operation_id = "update_webhook_endpoint", tag = "webhooks", params(WebhookEndpointPath), request_body = UpdateEndpointBody,
    responses((status = 200, description = "Changed", body = EndpointDto),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `destination_not_allowed`", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn update(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<UpdateEndpointBody>,
) -> Reply {
    let id = endpoint_id(&path)?;
    let change = body.0.change()?;
    let endpoint = state
        .app
        .update_webhook_endpoint(&caller.0, id, change)
        .await?;
    Ok(HttpResponse::Ok().json(EndpointDto::from(&endpoint)))
}

/// Delete a webhook endpoint and its deliveries (admin+).
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{webhook_endpoint_id}", operation_id = "delete_webhook_endpoint", tag = "webhooks", params(WebhookEndpointPath),
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
        .delete_webhook_endpoint(&caller.0, endpoint_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give an endpoint a new secret (admin+), shown this once; the old one
/// keeps signing beside it for 24 h.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{webhook_endpoint_id}/rotate-secret", operation_id = "rotate_webhook_secret", tag = "webhooks", params(WebhookEndpointPath),
    responses((status = 200, description = "The endpoint with its new secret", body = EndpointWithSecretDto),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn rotate_secret(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    _body: IgnoredBody,
) -> Reply {
    let rotated = state
        .app
        .rotate_webhook_secret(&caller.0, endpoint_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(EndpointWithSecretDto::from(&rotated)))
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{webhook_endpoint_id}/deliveries", operation_id = "list_webhook_deliveries", tag = "webhooks", params(WebhookEndpointPath, DeliveryFilterParams, PageParams),
    responses((status = 200, description = "One page", body = DeliveryList)),
    security(("api_key" = [])))]
pub async fn deliveries(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    req: HttpRequest,
) -> Reply {
    let id = endpoint_id(&path)?;
    let query = QueryParams::parse(req.query_string(), &["limit", "cursor", "status"])?;
    let status = query
        .get("status")
        .map(|raw| {
            raw.parse::<DeliveryStatus>()
                .map_err(|e| Problem::invalid("status", e.to_string()))
        })
        .transpose()?;
    let scope = CursorScope::new(&format!("deliveries:{id}"), caller.0.org_id, &query);
    let page = state.cursors.seq_request(&query, &scope)?;
    let page = thunderphone_ports::PageRequest {
        limit: page.limit,
        after: page.after.and_then(|n| DeliveryId::new(n).ok()),
    };
    let found = state
        .app
        .list_webhook_deliveries(&caller.0, id, status, page)
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        data: found.items.iter().map(DeliveryDto::from).collect(),
        next_cursor: found
            .next
            .map(|next| state.cursors.encode_seq(next.get(), &scope)),
    }))
}

/// Attempt a delivery again now, also a `failed` one (admin+).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{webhook_endpoint_id}/deliveries/{delivery_id}/retry", operation_id = "retry_webhook_delivery", tag = "webhooks", params(DeliveryPath),
    responses((status = 202, description = "Due now", body = DeliveryDto),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn retry(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    _body: IgnoredBody,
) -> Reply {
    let (endpoint, delivery) = path.into_inner();
    let id = endpoint_id(&endpoint)?;
    let delivery: DeliveryId = path_id(&delivery, "delivery")?;
    let due = state
        .app
        .retry_webhook_delivery(&caller.0, id, delivery)
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryDto::from(&due)))
}

/// Send a `webhook.test` event to this endpoint only (admin+).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{webhook_endpoint_id}/test", operation_id = "test_webhook_endpoint", tag = "webhooks", params(WebhookEndpointPath),
    responses((status = 202, description = "The test delivery, due now", body = DeliveryDto),
        (status = 403, description = "Needs admin or owner", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
pub async fn test(
    state: web::Data<HttpState>,
    caller: Caller,
    path: web::Path<String>,
    _body: IgnoredBody,
) -> Reply {
    let delivery = state
        .app
        .send_webhook_test(&caller.0, endpoint_id(&path)?)
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryDto::from(&delivery)))
}
