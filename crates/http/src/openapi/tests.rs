//! Checks of the served document.

use std::collections::BTreeSet;

use serde_json::Value;
use thunderphone_app::MatchedOn;
use thunderphone_domain::{ChangeKind, Role, Source, Status, VerificationStatus, VoipProvider};

use super::*;

fn doc() -> Value {
    document()
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
        let mut parameters = BTreeSet::new();
        for p in operation["parameters"].as_array().into_iter().flatten() {
            let key = (p["name"].to_string(), p["in"].to_string());
            assert!(parameters.insert(key), "{method} {path}: {p} twice");
            // Path ids are integers, except event ids (`evt_…`, API.md §14).
            if p["in"] == "path" && p["name"] != "event_id" {
                assert_eq!(p["schema"]["type"], "integer", "{method} {path}: {p}");
            }
        }
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
            "PhoneNumberStatus",
            strings(Status::ALL.iter().map(|v| v.as_str())),
        ),
        (
            "PhoneNumberSource",
            strings(Source::ALL.iter().map(|v| v.as_str())),
        ),
        (
            "VoipVerificationStatus",
            strings(VerificationStatus::ALL.iter().map(|v| v.as_str())),
        ),
        (
            "ChangeKind",
            strings(ChangeKind::ALL.iter().map(|v| v.as_str())),
        ),
        ("Role", strings(Role::ALL.iter().map(|v| v.as_str()))),
        (
            "VoipProvider",
            strings(VoipProvider::ALL.iter().map(|v| v.as_str())),
        ),
        ("MatchedOn", strings(matched_on.iter().map(|v| v.as_str()))),
        ("VerificationResult", strings(["verified", "failed"])),
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
    let credentials = &doc["components"]["schemas"]["VoipCredentials"]["properties"];
    let connection = &doc["components"]["schemas"]["CreateVoipConnectionRequest"]["properties"];
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

/// Schema names are what an SDK calls its types: no Rust-internal names.
#[test]
fn schema_names_read_as_public_types() {
    let doc = doc();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(schemas.len() >= 30, "{}", schemas.len());
    for name in schemas.keys() {
        assert!(
            !["Dto", "Body", "Name"].iter().any(|s| name.ends_with(s)) && !name.contains("::"),
            "schema {name} leaks an internal name"
        );
        assert!(
            name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "schema {name} is not a PascalCase type name"
        );
    }
    for expected in [
        "PhoneNumber",
        "PhoneNumberStatus",
        "ProvisionPhoneNumberRequest",
        "ProvisionedPhoneNumber",
        "VerificationResult",
        "Problem",
        "FieldError",
    ] {
        assert!(schemas.contains_key(expected), "{expected} missing");
    }
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

/// The schemas are collected from the route table: each one referred to
/// is in the document.
#[test]
fn every_reference_resolves() {
    let doc = doc();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50, "{}", found.len());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or(target);
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{target} does not resolve"
        );
    }
}

/// Each create operation links to the operations that take its id.
#[test]
fn create_operations_link_to_their_resource() {
    let doc = doc();
    for (path, targets) in [
        (
            "/v1/phone-numbers",
            &[
                "get_phone_number",
                "update_phone_number",
                "replace_phone_number",
                "delete_phone_number",
                "transfer_phone_number",
                "verify_phone_number",
                "list_phone_number_versions",
            ][..],
        ),
        ("/v1/agents", &["get_agent", "rename_agent", "delete_agent"]),
        (
            "/v1/voip-connections",
            &[
                "get_voip_connection",
                "delete_voip_connection",
                "import_voip_numbers",
            ],
        ),
        ("/admin/v1/api-keys", &["revoke_api_key"]),
    ] {
        let links = &doc["paths"][path]["post"]["responses"]["201"]["links"];
        for target in targets {
            let link = &links[*target];
            assert_eq!(link["operationId"], *target, "{path} → {target}: {links}");
            let parameters = link["parameters"].as_object().cloned().unwrap_or_default();
            assert_eq!(parameters.len(), 1, "{path} → {target}");
            assert!(
                parameters.values().all(|v| v == "$response.body#/id"),
                "{path} → {target}"
            );
        }
    }
}

/// A 401 names its challenge in the document too.
#[test]
fn unauthorized_responses_document_the_challenge() {
    let doc = doc();
    for (method, path, operation) in operations(&doc) {
        if let Some(unauthorized) = operation["responses"].get("401") {
            assert!(
                unauthorized["headers"].get("WWW-Authenticate").is_some(),
                "{method} {path}"
            );
        }
    }
}
