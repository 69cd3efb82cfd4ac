//! A last line of defence: any error response that is not problem+json
//! (actix's own 404/405/400s, a handler that forgot) is rewritten into one,
//! so clients can rely on the error format everywhere. The web console's
//! own HTML pages (its sign-in refusal, a 403 for a cross-site request)
//! are meant for a person and pass through as they are.

use actix_web::ResponseError;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};

use crate::Problem;
use crate::problem::PROBLEM_JSON;

/// Middleware that turns every non-problem error response into problem+json.
pub fn problem_json_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(rewrite)
}

fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        503 => "unavailable",
        s if s >= 500 => "internal_error",
        _ => "invalid_request",
    }
}

fn rewrite<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let is_page = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    if status.is_server_error() {
        tracing::error!(%status, path = %res.request().path(), "error response without a problem body");
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "no such route; see /openapi.json".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => {
            "this path does not support the method; see /openapi.json".to_owned()
        }
        s if s.is_server_error() => "an unexpected error occurred; it has been logged".to_owned(),
        s => s.canonical_reason().unwrap_or("error").to_owned(),
    };
    let problem = Problem::new(status, code_for(status), detail);
    let (req, _) = res.into_parts();
    let response: actix_web::HttpResponse<BoxBody> = problem.error_response();
    let res = ServiceResponse::new(req, response).map_into_right_body::<B>();
    Ok(ErrorHandlerResponse::Response(map_either(res)))
}

/// `ErrorHandlers` wants `EitherBody<B>`; the rewritten body is the right arm.
fn map_either<B>(res: ServiceResponse<EitherBody<B, BoxBody>>) -> ServiceResponse<EitherBody<B>> {
    res.map_body(|_, body| match body {
        EitherBody::Left { body } => EitherBody::left(body),
        EitherBody::Right { body } => EitherBody::right(body),
    })
}
