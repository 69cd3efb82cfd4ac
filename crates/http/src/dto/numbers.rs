//! Phone-number requests and responses (API.md §2–§9).

use serde::{Deserialize, Serialize};
use thunderphone_app::{
    FieldError, MatchedOn, NumberUpdate, NumberUpdateMode, ProvisionRequest, TransferRequest,
};
use thunderphone_domain::{
    AgentId, AgentUpdate, AreaCode, City, OrgId, PhoneNumber, Source, Status, UsState,
    VoipConnectionId,
};
use thunderphone_ports::NumberFilter;
use utoipa::{IntoParams, ToSchema};

use super::names::{
    MatchedOnName, SettableStatusName, SourceName, StatusName, VerificationStatusName,
};
use super::{double_option, timestamp};
use crate::Problem;
use crate::extract::QueryParams;

/// A phone number (API.md §2).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumber)]
pub struct PhoneNumberDto {
    /// Server-assigned id.
    #[schema(example = 7, minimum = 1)]
    pub id: i64,
    /// E.164.
    #[schema(example = "+14155550123", pattern = r"^\+[1-9][0-9]{1,14}$")]
    pub number: String,
    /// `demo` (ThunderPhone's pool) or `voip` (brought via a VoIP connection).
    #[schema(value_type = SourceName, example = "demo")]
    pub source: &'static str,
    /// `provisioning`, `active`, `failed` or `released`.
    #[schema(value_type = StatusName, example = "active")]
    pub status: &'static str,
    /// Agent that answers inbound calls.
    #[schema(minimum = 1)]
    pub inbound_agent_id: Option<i64>,
    /// Agent used for outbound calls.
    #[schema(minimum = 1)]
    pub outbound_agent_id: Option<i64>,
    /// Linked VoIP connection (voip numbers only).
    #[schema(minimum = 1)]
    pub voip_connection_id: Option<i64>,
    /// `unverified`, `verified` or `failed` (always `unverified` for demo).
    #[schema(value_type = VerificationStatusName, example = "unverified")]
    pub voip_verification_status: &'static str,
    /// Last successful verification (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub voip_last_verified_at: Option<String>,
    /// Why the number is `failed`, or back in `provisioning` after a failed verification.
    pub status_reason: Option<String>,
    /// Org that holds the number.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Starts at 1, +1 on every recorded change; also sent as `ETag`.
    #[schema(example = 1, minimum = 1)]
    pub version: i64,
    /// RFC 3339, UTC.
    #[schema(format = DateTime, example = "2026-11-26T23:50:00.000000Z")]
    pub created_at: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime, example = "2026-11-26T23:50:00.000000Z")]
    pub updated_at: String,
}

impl From<&PhoneNumber> for PhoneNumberDto {
    fn from(n: &PhoneNumber) -> Self {
        Self {
            id: n.id().get(),
            number: n.number().to_string(),
            source: n.source().as_str(),
            status: n.status().as_str(),
            inbound_agent_id: n.inbound_agent_id().map(AgentId::get),
            outbound_agent_id: n.outbound_agent_id().map(AgentId::get),
            voip_connection_id: n.voip_connection_id().map(VoipConnectionId::get),
            voip_verification_status: n.voip_verification_status().as_str(),
            voip_last_verified_at: n.voip_last_verified_at().map(timestamp),
            status_reason: n.status_reason().map(str::to_owned),
            org_id: n.org_id().get(),
            version: n.version().get(),
            created_at: timestamp(n.created_at()),
            updated_at: timestamp(n.updated_at()),
        }
    }
}

/// A newly provisioned number: the phone number plus `matched_on`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProvisionedPhoneNumber)]
pub struct ProvisionedDto {
    /// The number.
    #[serde(flatten)]
    pub number: PhoneNumberDto,
    /// Which preference the number satisfied: `area_code`, `city`, `state` or `any`.
    #[schema(value_type = MatchedOnName, example = "area_code")]
    pub matched_on: &'static str,
}

impl ProvisionedDto {
    /// Builds the response.
    pub fn new(number: &PhoneNumber, matched_on: MatchedOn) -> Self {
        Self {
            number: number.into(),
            matched_on: matched_on.as_str(),
        }
    }
}

/// `POST /v1/phone-numbers`: preferences, all optional.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ProvisionPhoneNumberRequest)]
#[serde(deny_unknown_fields)]
pub struct ProvisionBody {
    /// 3-digit NANP area code to prefer (`[2-9][0-9][0-9]`).
    #[schema(example = "415", pattern = "^[2-9][0-9]{2}$")]
    pub area_code: Option<String>,
    /// US city, 1–64 characters, case-insensitive; surrounding whitespace
    /// is trimmed.
    #[schema(
        example = "San Francisco",
        min_length = 1,
        pattern = r#"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]|[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u001F\u007F-\u009F]{0,62}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"#
    )]
    pub city: Option<String>,
    /// 2-letter US state code (50 states and DC), case-insensitive.
    #[schema(
        example = "CA",
        pattern = r#"^(?:[Aa][KkLlRrZz]|[Cc][AaOoTt]|[Dd][CcEe]|[Ff][Ll]|[Gg][Aa]|[Hh][Ii]|[Ii][AaDdLlNn]|[Kk][SsYy]|[Ll][Aa]|[Mm][AaDdEeIiNnOoSsTt]|[Nn][CcDdEeHhJjMmVvYy]|[Oo][HhKkRr]|[Pp][Aa]|[Rr][Ii]|[Ss][CcDd]|[Tt][NnXx]|[Uu][Tt]|[Vv][AaTt]|[Ww][AaIiVvYy])$"#
    )]
    pub state: Option<String>,
}

impl ProvisionBody {
    /// Validates every field, reporting all invalid ones at once.
    pub fn into_request(self) -> Result<ProvisionRequest, Problem> {
        let mut errors = Vec::new();
        let area_code = parse_field(&mut errors, "area_code", self.area_code, AreaCode::parse);
        let city = parse_field(&mut errors, "city", self.city, City::parse);
        let state = parse_field(&mut errors, "state", self.state, UsState::parse);
        if errors.is_empty() {
            Ok(ProvisionRequest {
                area_code,
                city,
                state,
            })
        } else {
            Err(Problem::validation(errors))
        }
    }
}

fn parse_field<T, E: ToString>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    value.and_then(|v| {
        parse(&v)
            .map_err(|e| errors.push(FieldError::new(field, e.to_string())))
            .ok()
    })
}

/// `PUT`/`PATCH /v1/phone-numbers/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = UpdatePhoneNumberRequest)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// Absent: unchanged; `null`: clear. Required (possibly `null`) for PUT.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable, minimum = 1, example = 1)]
    pub inbound_agent_id: Option<Option<i64>>,
    /// Absent: unchanged; `null`: clear. Required (possibly `null`) for PUT.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable, minimum = 1)]
    pub outbound_agent_id: Option<Option<i64>>,
    /// `active` ⇄ `released` are the only transitions a client may ask
    /// for (API.md §3); asking for the current status changes nothing.
    #[schema(value_type = Option<SettableStatusName>, example = "released")]
    pub status: Option<String>,
}

impl UpdateBody {
    /// Validates the body for PUT or PATCH.
    pub fn into_update(self, mode: NumberUpdateMode) -> Result<NumberUpdate, Problem> {
        let mut errors = Vec::new();
        if mode == NumberUpdateMode::Replace {
            for (field, value) in [
                ("inbound_agent_id", &self.inbound_agent_id),
                ("outbound_agent_id", &self.outbound_agent_id),
            ] {
                if value.is_none() {
                    errors.push(FieldError::new(
                        field,
                        "is required for PUT (send null to clear)",
                    ));
                }
            }
        }
        let status = parse_field(&mut errors, "status", self.status, |s| {
            // Other statuses parse, and are then refused as a transition
            // (409); the message names only what a client may set.
            s.parse::<Status>()
                .map_err(|_| "must be one of: active released")
        });
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let mut bad_agents = Vec::new();
        let mut agent = |field: &str, value: Option<Option<i64>>| match value {
            Some(Some(raw)) => match AgentId::new(raw) {
                Ok(id) => Some(Some(id)),
                Err(_) => {
                    bad_agents.push(FieldError::new(
                        field,
                        format!("agent {raw} does not exist in this org"),
                    ));
                    None
                }
            },
            Some(None) => Some(None),
            None => None,
        };
        let inbound = agent("inbound_agent_id", self.inbound_agent_id);
        let outbound = agent("outbound_agent_id", self.outbound_agent_id);
        if !bad_agents.is_empty() {
            return Err(Problem::from(thunderphone_app::AppError::InvalidAgent(
                bad_agents,
            )));
        }
        Ok(NumberUpdate {
            agents: AgentUpdate { inbound, outbound },
            status,
        })
    }
}

/// `PUT /v1/phone-numbers/{id}`: the full form of [`UpdateBody`], for the
/// OpenAPI document only (the handler reads an `UpdateBody` and checks that
/// both agent fields are present).
#[derive(Deserialize, ToSchema)]
#[schema(as = ReplacePhoneNumberRequest)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only the schema is used
pub struct ReplaceBody {
    /// Required; `null` clears it.
    #[schema(required = true, minimum = 1, example = 1)]
    pub inbound_agent_id: Option<i64>,
    /// Required; `null` clears it.
    #[schema(required = true, minimum = 1)]
    pub outbound_agent_id: Option<i64>,
    /// `active` ⇄ `released` are the only transitions a client may ask
    /// for (API.md §3); asking for the current status changes nothing.
    #[schema(value_type = Option<SettableStatusName>, example = "released")]
    pub status: Option<String>,
}

/// `POST /v1/phone-numbers/{id}/transfer`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = TransferPhoneNumberRequest)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// Org to move the number into.
    #[schema(value_type = i64, required = true, minimum = 1, example = 2)]
    pub target_org_id: Option<i64>,
    /// A VoIP connection of the target org; required when source=`voip`.
    #[schema(minimum = 1)]
    pub target_voip_connection_id: Option<i64>,
}

impl TransferBody {
    /// Validates the body.
    pub fn into_request(self) -> Result<TransferRequest, Problem> {
        let target_org_id = match self.target_org_id {
            None => return Err(Problem::invalid("target_org_id", "is required")),
            Some(raw) => {
                OrgId::new(raw).map_err(|e| Problem::invalid("target_org_id", e.to_string()))?
            }
        };
        let target_voip_connection_id = self
            .target_voip_connection_id
            .map(VoipConnectionId::new)
            .transpose()
            .map_err(|e| Problem::invalid("target_voip_connection_id", e.to_string()))?;
        Ok(TransferRequest {
            target_org_id,
            target_voip_connection_id,
        })
    }
}

/// Query parameters of `GET /v1/phone-numbers`.
pub const LIST_PARAMS: &[&str] = &[
    "limit",
    "cursor",
    "status",
    "source",
    "inbound_agent_id",
    "outbound_agent_id",
    "voip_connection_id",
    "area_code",
];

/// Parses the filters of `GET /v1/phone-numbers`, reporting every bad one.
pub fn list_filter(query: &QueryParams) -> Result<NumberFilter, Problem> {
    let mut errors = Vec::new();
    let get = |name: &str| query.get(name).map(str::to_owned);
    let id_message = "must be a positive integer id";
    let filter = NumberFilter {
        status: parse_field(&mut errors, "status", get("status"), str::parse::<Status>),
        source: parse_field(&mut errors, "source", get("source"), str::parse::<Source>),
        inbound_agent_id: parse_field(
            &mut errors,
            "inbound_agent_id",
            get("inbound_agent_id"),
            |s| s.parse::<AgentId>().map_err(|_| id_message),
        ),
        outbound_agent_id: parse_field(
            &mut errors,
            "outbound_agent_id",
            get("outbound_agent_id"),
            |s| s.parse::<AgentId>().map_err(|_| id_message),
        ),
        voip_connection_id: parse_field(
            &mut errors,
            "voip_connection_id",
            get("voip_connection_id"),
            |s| s.parse::<VoipConnectionId>().map_err(|_| id_message),
        ),
        area_code: parse_field(&mut errors, "area_code", get("area_code"), AreaCode::parse),
    };
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(Problem::validation(errors))
    }
}

/// The filters of `GET /v1/phone-numbers`, for the document (the handler
/// reads them with [`list_filter`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only the description is used
pub struct NumberFilterParams {
    /// Only numbers in this status.
    status: Option<StatusName>,
    /// Only numbers from this source.
    source: Option<SourceName>,
    /// Only numbers with this inbound agent.
    #[param(minimum = 1)]
    inbound_agent_id: Option<i64>,
    /// Only numbers with this outbound agent.
    #[param(minimum = 1)]
    outbound_agent_id: Option<i64>,
    /// Only numbers of this VoIP connection.
    #[param(minimum = 1)]
    voip_connection_id: Option<i64>,
    /// Only numbers in this 3-digit area code.
    #[param(pattern = "^[2-9][0-9]{2}$", example = "415")]
    area_code: Option<String>,
}

/// A page of phone numbers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneNumberList {
    /// The numbers, newest first.
    pub data: Vec<PhoneNumberDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Numbers created by an import.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportedPhoneNumbers)]
pub struct ImportedNumbers {
    /// The new numbers, in request order.
    pub data: Vec<PhoneNumberDto>,
}

pub use super::history::{VerifiedDto, VersionDto, VersionList};
