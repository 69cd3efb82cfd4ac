//! Route handlers, one module per resource. Handlers only translate:
//! HTTP → application call → HTTP; rules live in the application layer.

pub mod agents;
pub mod connections;
pub mod numbers;
pub mod operator;
pub mod probes;

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use thunderphone_domain::PhoneNumber;

use crate::Problem;

/// Handler result.
pub type Reply = Result<HttpResponse, Problem>;

/// A JSON response carrying one phone number: adds `ETag: "<version>"`.
pub fn with_etag(
    mut builder: actix_web::HttpResponseBuilder,
    number: &PhoneNumber,
    body: &impl Serialize,
) -> HttpResponse {
    builder.insert_header((header::ETAG, format!("\"{}\"", number.version())));
    builder.json(body)
}

/// 405 for a known path with a method it does not serve.
pub async fn method_not_allowed() -> HttpResponse {
    actix_web::ResponseError::error_response(&Problem::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not support the method; see /openapi.json",
    ))
}

/// 404 for an unknown path.
pub async fn no_route() -> HttpResponse {
    actix_web::ResponseError::error_response(&Problem::not_found(
        "no such route; see /openapi.json",
    ))
}
