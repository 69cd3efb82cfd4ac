//! The error responses every operation shares, added to the document once.

use utoipa::Modify;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Ref, RefOr, Required};

/// Documents, on every operation, the error responses that come from the
/// machinery shared by all routes rather than from the handler itself, so
/// no operation under-documents them (API.md §10):
///
/// - API-key routes: 401 (no, bad or revoked key), 429 (rate limit or
///   failed-authentication limit, with `Retry-After`), 503 (the store
///   cannot be reached);
/// - operator routes: 401 (wrong token), 404 (operator API disabled), 429
///   (failed-authentication limit), 503;
/// - a request body: 400 (not JSON, wrong types, unknown fields), 413
///   (over 64 KiB), 415 (not sent as JSON);
/// - an id in the path: 404 (malformed or unknown ids name no resource);
/// - query parameters: 422 (unknown, repeated or invalid parameters);
/// - a POST with an API key: the `Idempotency-Key` header, 409
///   `idempotency_in_progress` and 422 `idempotency_key_reused`.
///
/// A status an annotation already documents keeps its description, with
/// the shared reason appended.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_id = path.contains('{');
            for (is_post, operation) in [
                (false, item.get.as_mut()),
                (false, item.put.as_mut()),
                (true, item.post.as_mut()),
                (false, item.patch.as_mut()),
                (false, item.delete.as_mut()),
            ] {
                if let Some(operation) = operation {
                    document_common_errors(operation, has_path_id, is_post);
                }
            }
        }
    }
}

fn document_common_errors(operation: &mut Operation, has_path_id: bool, is_post: bool) {
    let requires = |scheme: &str| {
        operation.security.as_ref().is_some_and(|requirements| {
            requirements.contains(&SecurityRequirement::new(scheme, Vec::<String>::new()))
        })
    };
    let api_key = requires("api_key");
    let operator = requires("admin_token");
    let has_body = operation.request_body.is_some();
    let has_query = operation.parameters.as_ref().is_some_and(|parameters| {
        parameters
            .iter()
            .any(|p| p.parameter_in == ParameterIn::Query)
    });
    let mut add = |status: &str, description: &str, retry_after: bool| {
        match operation.responses.responses.get_mut(status) {
            // The handler's own answer with this status comes first; the
            // shared one is another reason for it.
            Some(RefOr::T(own)) if !own.description.contains(description) => {
                own.description = format!("{}; or {description}", own.description);
            }
            Some(_) => {}
            None => {
                operation.responses.responses.insert(
                    status.to_owned(),
                    problem_response(status, description, retry_after),
                );
            }
        }
    };
    if api_key {
        add(
            "401",
            "`unauthorized`: no, malformed, unknown or revoked API key",
            false,
        );
        add(
            "429",
            "`rate_limited`: the API key's rate limit is spent, or this client address failed authentication too often; retry after `Retry-After` seconds",
            true,
        );
    }
    if operator {
        add(
            "401",
            "`unauthorized`: missing or wrong operator token",
            false,
        );
        add(
            "404",
            "`not_found`: the operator API is disabled (no `THUNDERPHONE_ADMIN_TOKEN`)",
            false,
        );
        add(
            "429",
            "`rate_limited`: this client address failed authentication too often; retry after `Retry-After` seconds",
            true,
        );
    }
    if has_body {
        add(
            "400",
            "`invalid_request`: the body is not JSON, has wrong JSON types or unknown fields",
            false,
        );
        add("413", "`payload_too_large`: the body is over 64 KiB", false);
        add(
            "415",
            "`unsupported_media_type`: a body sent without a JSON content type",
            false,
        );
    }
    if has_path_id {
        add(
            "404",
            "`not_found`: no such resource (ids are positive 64-bit integers)",
            false,
        );
    }
    if has_query {
        add(
            "422",
            "`validation_failed`: an unknown, repeated or invalid query parameter",
            false,
        );
    }
    if is_post && api_key {
        add(
            "409",
            "`idempotency_in_progress`: a request with this `Idempotency-Key` is still running",
            false,
        );
        add(
            "422",
            "`idempotency_key_reused` (the `Idempotency-Key` was used for another request) or an invalid `Idempotency-Key`",
            false,
        );
        operation
            .parameters
            .get_or_insert_with(Vec::new)
            .push(idempotency_key_header());
    }
    if api_key || operator {
        add(
            "503",
            "`unavailable`: the store or a provider cannot be reached; nothing was changed",
            true,
        );
    }
}

/// A problem+json response.
fn problem_response(
    status: &str,
    description: &str,
    retry_after: bool,
) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        crate::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                )
                .description(Some("Seconds to wait before retrying"))
                .build(),
        );
    }
    if status == "401" {
        response = response.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(
                    "The bearer challenge (RFC 6750): `Bearer realm=\"…\"`, with `error=\"invalid_token\"` when a token was sent",
                ))
                .build(),
        );
    }
    RefOr::T(response.build())
}

/// The optional `Idempotency-Key` request header (API.md §11).
fn idempotency_key_header() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Replays the first response of the same request (method, path, body) within 24 h, with `Idempotent-Replayed: true`",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[A-Za-z0-9_:-]+$")),
        ))
        .build()
}
