//! Route handlers, one module per resource. Handlers only translate:
//! HTTP → application call → HTTP; rules live in the application layer.

pub mod agents;
pub mod connections;
pub mod events;
pub mod numbers;
pub mod operator;
pub mod operator_lists;
pub mod probes;
pub mod table;
pub mod webhooks;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use thunderphone_app::AppError;
use thunderphone_domain::{PhoneNumber, Principal};
use thunderphone_ports::{ListCursor, Page, PageRequest};

use crate::dto::page::CursorScope;
use crate::extract::QueryParams;
use crate::{HttpState, Problem};
pub use table::Routes;

/// Every route of the API. A module of routes declares its own in a
/// `routes` function; a new module adds one line here.
pub fn table() -> Routes {
    let mut routes = Routes::default();
    probes::routes(&mut routes);
    numbers::routes(&mut routes);
    agents::routes(&mut routes);
    connections::routes(&mut routes);
    webhooks::routes(&mut routes);
    events::routes(&mut routes);
    operator::routes(&mut routes);
    operator_lists::routes(&mut routes);
    routes
}

/// Handler result.
pub type Reply = Result<HttpResponse, Problem>;

/// The steps of a plain list of the caller's org (agents, connections,
/// webhook endpoints): only `limit` and `cursor` are accepted, the cursor
/// is checked against `list` and the org, `read` gets the page, and the
/// next page's cursor is encoded for the same list. Returns the page's
/// items and that cursor.
pub(crate) async fn org_list<T, Read>(
    state: &HttpState,
    caller: &Principal,
    req: &HttpRequest,
    list: &str,
    read: impl FnOnce(PageRequest<ListCursor>) -> Read,
) -> Result<(Vec<T>, Option<String>), Problem>
where
    Read: Future<Output = Result<Page<T, ListCursor>, AppError>>,
{
    let query = QueryParams::parse(req.query_string(), &["limit", "cursor"])?;
    let scope = CursorScope::new(list, caller.org_id, &query);
    let page = read(state.cursors.list_request(&query, &scope)?).await?;
    let next = page
        .next
        .map(|next| state.cursors.encode_list(next, &scope));
    Ok((page.items, next))
}

/// A JSON response carrying one phone number: adds `ETag: "<version>"`.
pub fn with_etag(
    mut builder: actix_web::HttpResponseBuilder,
    number: &PhoneNumber,
    body: &impl Serialize,
) -> HttpResponse {
    builder.insert_header((header::ETAG, format!("\"{}\"", number.version())));
    builder.json(body)
}

/// 405 for a known path with a method it does not serve, with the `Allow`
/// header listing the methods it does (RFC 9110 §15.5.6).
pub fn method_not_allowed(allow: impl Into<String>) -> actix_web::Route {
    let allow = header::HeaderValue::from_str(&allow.into())
        .unwrap_or_else(|_| header::HeaderValue::from_static(""));
    actix_web::web::to(move || {
        let allow = allow.clone();
        async move {
            let mut response = actix_web::ResponseError::error_response(&Problem::new(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this path does not support the method; see /openapi.json",
            ));
            response.headers_mut().insert(header::ALLOW, allow);
            response
        }
    })
}

/// 404 for an unknown path; 405 for a method this server knows nothing
/// of, whatever the path (API.md §17).
pub async fn no_route(req: actix_web::HttpRequest) -> HttpResponse {
    let problem = if crate::context::method_label(req.method()) == "OTHER" {
        Problem::new(
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this server does not support the method; see /openapi.json",
        )
    } else {
        Problem::not_found("no such route; see /openapi.json")
    };
    actix_web::ResponseError::error_response(&problem)
}

#[cfg(test)]
mod tests {
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::web::{get, resource};

    use super::*;

    #[actix_web::test]
    async fn method_not_allowed_names_the_allowed_methods() {
        let app = init_service(
            actix_web::App::new().service(
                resource("/x")
                    .route(get().to(|| async { "ok" }))
                    .default_service(method_not_allowed("GET")),
            ),
        )
        .await;
        let res = call_service(&app, TestRequest::post().uri("/x").to_request()).await;
        assert_eq!(
            res.status(),
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            res.headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok()),
            Some("GET")
        );
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(crate::PROBLEM_JSON)
        );
    }
}
