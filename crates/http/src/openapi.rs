//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the DTOs' schemas, so it cannot drift from the code.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::dto::{agents, connections, names, numbers, operator, operator_lists};
use crate::problem::{Problem, ProblemField};
use crate::routes;

/// The API document.
#[derive(OpenApi)]
#[openapi(
    info(title = "ThunderPhone Numbers API", description = "Provision, assign, transfer, verify and release the phone numbers that voice AI agents answer and call from. Every error is `application/problem+json` with a machine-readable `code`."),
    paths(
        routes::numbers::list, routes::numbers::provision, routes::numbers::get, routes::numbers::put,
        routes::numbers::patch, routes::numbers::delete, routes::numbers::transfer,
        routes::numbers::versions, routes::numbers::verify,
        routes::agents::create, routes::agents::list, routes::agents::get, routes::agents::rename, routes::agents::delete,
        routes::connections::create, routes::connections::list, routes::connections::get,
        routes::connections::delete, routes::connections::import,
        routes::operator::create_org, routes::operator::create_user, routes::operator::set_membership,
        routes::operator::create_api_key, routes::operator::revoke_api_key,
        routes::operator_lists::list_orgs, routes::operator_lists::list_users,
        routes::operator_lists::list_members, routes::operator_lists::list_api_keys,
        routes::probes::healthz, routes::probes::readyz, routes::probes::metrics, routes::probes::me, routes::probes::openapi,
    ),
    components(schemas(
        Problem, ProblemField,
        numbers::PhoneNumberDto, numbers::ProvisionedDto, numbers::ProvisionBody, numbers::UpdateBody, numbers::ReplaceBody,
        numbers::TransferBody, numbers::PhoneNumberList, numbers::ImportedNumbers, numbers::VersionDto,
        numbers::ChangedByDto, numbers::VersionList, numbers::CheckDto, numbers::VerificationDto, numbers::VerifiedDto,
        agents::AgentDto, agents::AgentBody, agents::AgentList,
        connections::ConnectionDto, connections::ConnectionBody, connections::CredentialsBody,
        connections::ConnectionList, connections::ImportBody,
        operator::OrgBody, operator::OrgDto, operator::UserBody, operator::UserDto, operator::MembershipBody,
        operator::MembershipDto, operator::ApiKeyBody, operator::ApiKeyDto, operator::MeDto,
        operator_lists::OrgList, operator_lists::UserList, operator_lists::MembershipList,
        operator_lists::ApiKeyRecordDto, operator_lists::ApiKeyList,
        routes::probes::ProbeDto,
        names::StatusName, names::SourceName, names::VerificationStatusName, names::ChangeName,
        names::MatchedOnName, names::VerificationResultName, names::RoleName, names::ProviderName,
    )),
    modifiers(&Security, &CommonResponses),
    tags(
        (name = "phone-numbers", description = "Provision, read, assign, transfer, verify and release numbers"),
        (name = "agents", description = "Voice AI agents that numbers route to"),
        (name = "voip-connections", description = "Customers' Twilio, Telnyx and SIP connections, and importing numbers"),
        (name = "operator", description = "Orgs, users, memberships and API keys (operator token)"),
        (name = "me", description = "The calling key"),
        (name = "probes", description = "Health, readiness and this document"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key (`tpk_…`) from the operator API"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("THUNDERPHONE_ADMIN_TOKEN"))
                    .build(),
            ),
        );
    }
}

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
/// A response an annotation already documents is left as it is.
struct CommonResponses;

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
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description, retry_after));
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
fn problem_response(description: &str, retry_after: bool) -> RefOr<utoipa::openapi::Response> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;
    use thunderphone_app::MatchedOn;
    use thunderphone_domain::{ChangeKind, Role, Source, Status, VerificationStatus, VoipProvider};

    use super::*;

    fn doc() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                out.push((method.clone(), path.clone(), operation.clone()));
            }
        }
        out
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = doc();
        let mut seen = BTreeSet::new();
        for (method, path, operation) in operations(&doc) {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(seen.insert(id.clone()), "operationId {id} is used twice");
        }
        assert!(seen.len() >= 29);
    }

    fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        values.into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn wire_name_schemas_list_the_domain_values() {
        let doc = doc();
        let listed = |schema: &str| {
            strings(
                doc["components"]["schemas"][schema]["enum"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            )
        };
        let matched_on = [
            MatchedOn::AreaCode,
            MatchedOn::City,
            MatchedOn::State,
            MatchedOn::Any,
        ];
        for (schema, values) in [
            (
                "StatusName",
                strings(Status::ALL.iter().map(|v| v.as_str())),
            ),
            (
                "SourceName",
                strings(Source::ALL.iter().map(|v| v.as_str())),
            ),
            (
                "VerificationStatusName",
                strings(VerificationStatus::ALL.iter().map(|v| v.as_str())),
            ),
            (
                "ChangeName",
                strings(ChangeKind::ALL.iter().map(|v| v.as_str())),
            ),
            ("RoleName", strings(Role::ALL.iter().map(|v| v.as_str()))),
            (
                "ProviderName",
                strings(VoipProvider::ALL.iter().map(|v| v.as_str())),
            ),
            (
                "MatchedOnName",
                strings(matched_on.iter().map(|v| v.as_str())),
            ),
            ("VerificationResultName", strings(["verified", "failed"])),
        ] {
            assert_eq!(listed(schema), values, "{schema}");
        }
    }

    #[test]
    fn every_operation_documents_the_shared_errors() {
        let doc = doc();
        for (method, path, operation) in operations(&doc) {
            let responses = &operation["responses"];
            let has = |status: &str| responses.get(status).is_some();
            let secured_by = |scheme: &str| {
                operation["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| r.get(scheme).is_some())
            };
            let mut expected = Vec::new();
            if secured_by("api_key") {
                expected.extend(["401", "429", "503"]);
            }
            if secured_by("admin_token") {
                expected.extend(["401", "404", "429", "503"]);
            }
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "413", "415"]);
            }
            if path.contains('{') {
                expected.push("404");
            }
            for status in expected {
                assert!(has(status), "{method} {path} does not document {status}");
                if let Some(content) = responses[status]["content"].as_object() {
                    assert!(
                        content.contains_key(crate::PROBLEM_JSON),
                        "{method} {path} {status} is not problem+json"
                    );
                }
            }
            if method == "post" && secured_by("api_key") {
                let documents_key = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
                assert!(documents_key, "{method} {path} lacks Idempotency-Key");
            }
        }
    }

    #[test]
    fn connection_schemas_state_what_the_server_enforces() {
        let doc = doc();
        let credentials = &doc["components"]["schemas"]["CredentialsBody"]["properties"];
        let connection = &doc["components"]["schemas"]["ConnectionBody"]["properties"];
        let pattern = |field: &Value| field["pattern"].as_str().unwrap_or_default().to_owned();
        assert_eq!(pattern(&credentials["account_sid"]), "^AC[0-9a-fA-F]{32}$");
        assert!(pattern(&credentials["username"]).contains("%[0-9A-Fa-f]{2}"));
        assert_eq!(credentials["username"]["maxLength"], 256);
        assert_eq!(connection["termination_uri"]["maxLength"], 255);
        assert!(pattern(&connection["termination_uri"]).starts_with("^[sS][iI][pP]"));
        for secret in ["auth_token", "api_key", "password"] {
            let field = &credentials[secret];
            assert!(
                pattern(field).contains("\\u0000-\\u001F"),
                "{secret}: {field}"
            );
            assert_eq!(field["maxLength"], 512, "{secret}");
        }
    }
}
