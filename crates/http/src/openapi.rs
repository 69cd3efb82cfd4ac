//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the DTOs' schemas, so it cannot drift from the code.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto::{agents, connections, numbers, operator};
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
        routes::probes::healthz, routes::probes::readyz, routes::probes::metrics, routes::probes::me, routes::probes::openapi,
    ),
    components(schemas(
        Problem, ProblemField,
        numbers::PhoneNumberDto, numbers::ProvisionedDto, numbers::ProvisionBody, numbers::UpdateBody,
        numbers::TransferBody, numbers::PhoneNumberList, numbers::ImportedNumbers, numbers::VersionDto,
        numbers::ChangedByDto, numbers::VersionList, numbers::CheckDto, numbers::VerificationDto, numbers::VerifiedDto,
        agents::AgentDto, agents::AgentBody, agents::AgentList,
        connections::ConnectionDto, connections::ConnectionBody, connections::CredentialsBody,
        connections::ConnectionList, connections::ImportBody,
        operator::OrgBody, operator::OrgDto, operator::UserBody, operator::UserDto, operator::MembershipBody,
        operator::MembershipDto, operator::ApiKeyBody, operator::ApiKeyDto, operator::MeDto,
        routes::probes::ProbeDto,
    )),
    modifiers(&Security),
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
