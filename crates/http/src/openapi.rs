//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the DTOs' schemas, so it cannot drift from the code: its paths come
//! from the same route table the server is built from
//! ([`crate::routes::table`]).

mod common;
#[cfg(test)]
mod constraint_tests;
mod links;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::{Problem, ProblemField};

/// What the document says besides its paths: title, tags, the security
/// schemes and the error schema the shared responses refer to.
#[derive(OpenApi)]
#[openapi(
    info(title = "ThunderPhone Numbers API", description = "Provision, assign, transfer, verify and release the phone numbers that voice AI agents answer and call from. Every error is `application/problem+json` with a machine-readable `code`."),
    components(schemas(Problem, ProblemField)),
    modifiers(&Security),
    tags(
        (name = "phone-numbers", description = "Provision, read, assign, transfer, verify and release numbers"),
        (name = "agents", description = "Voice AI agents that numbers route to"),
        (name = "voip-connections", description = "Customers' Twilio, Telnyx and SIP connections, and importing numbers"),
        (name = "webhooks", description = "Webhook endpoints, their signing secrets and deliveries"),
        (name = "events", description = "What happened to the org's numbers, newest first"),
        (name = "operator", description = "Orgs, users, memberships and API keys (operator token)"),
        (name = "me", description = "The calling key"),
        (name = "probes", description = "Health, readiness and this document"),
    )
)]
struct ApiDoc;

/// The API document: every route of the route table, the errors they
/// share, and links from each create operation to those that take its id.
pub fn document() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    crate::routes::table().document(&mut doc);
    common::CommonResponses.modify(&mut doc);
    let mut doc = serde_json::to_value(doc).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot serialise the OpenAPI document");
        serde_json::Value::Null
    });
    links::add(&mut doc);
    doc
}

/// The document as served, built once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_string())
}

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
