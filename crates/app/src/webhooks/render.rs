//! The event object of API.md §14, rendered once per read: the body a
//! webhook delivers is byte for byte what `GET /v1/events/{id}` shows,
//! because both come from this one function of the stored event.

use chrono::SecondsFormat;
use serde::Serialize;
use thunderphone_domain::{
    Actor, AgentId, CheckOutcome, Event, EventData, EventType, PhoneNumber, Timestamp,
    VoipConnectionId,
};

/// RFC 3339, UTC, `Z`, microseconds: the API's timestamps.
fn timestamp(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The phone-number object of API.md §2, field for field as the HTTP API
/// writes it (a test in the HTTP adapter holds the two together).
#[derive(Debug, Serialize)]
struct PhoneNumberJson {
    id: i64,
    number: String,
    source: &'static str,
    status: &'static str,
    inbound_agent_id: Option<i64>,
    outbound_agent_id: Option<i64>,
    voip_connection_id: Option<i64>,
    voip_verification_status: &'static str,
    voip_last_verified_at: Option<String>,
    status_reason: Option<String>,
    org_id: i64,
    version: i64,
    created_at: String,
    updated_at: String,
}

impl From<&PhoneNumber> for PhoneNumberJson {
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

#[derive(Debug, Serialize)]
struct ActorJson {
    user_id: i64,
    api_key_id: i64,
}

#[derive(Debug, Serialize)]
struct CheckJson<'a> {
    name: &'a str,
    passed: bool,
    detail: &'a str,
}

#[derive(Debug, Serialize)]
struct VerificationJson<'a> {
    result: &'static str,
    checked_at: String,
    checks: Vec<CheckJson<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum DataJson<'a> {
    Number {
        phone_number: Box<PhoneNumberJson>,
        version: i64,
        changed_by: Option<ActorJson>,
        #[serde(skip_serializing_if = "Option::is_none")]
        verification: Option<VerificationJson<'a>>,
    },
    TransferredOut {
        phone_number_id: i64,
        number: &'a str,
        to_org_id: i64,
    },
    Empty {},
}

#[derive(Debug, Serialize)]
struct EventJson<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    org_id: i64,
    data: DataJson<'a>,
}

fn verification(
    kind: EventType,
    at: Timestamp,
    checks: &[CheckOutcome],
) -> Option<VerificationJson<'_>> {
    let result = match kind {
        EventType::Verified => "verified",
        EventType::VerificationFailed => "failed",
        _ => return None,
    };
    Some(VerificationJson {
        result,
        checked_at: timestamp(at),
        checks: checks
            .iter()
            .map(|c| CheckJson {
                name: &c.name,
                passed: c.passed,
                detail: &c.detail,
            })
            .collect(),
    })
}

/// The event object as JSON bytes.
///
/// # Errors
/// Only if serialisation fails, which plain structs of strings and
/// numbers do not.
pub fn event_body(event: &Event) -> Result<Vec<u8>, serde_json::Error> {
    let data = match &event.data {
        EventData::Number {
            number,
            changed_by,
            checks,
        } => DataJson::Number {
            phone_number: Box::new(number.into()),
            version: number.version().get(),
            changed_by: changed_by.map(|a: Actor| ActorJson {
                user_id: a.user_id.get(),
                api_key_id: a.api_key_id.get(),
            }),
            verification: verification(event.kind, event.created_at, checks),
        },
        EventData::TransferredOut {
            phone_number_id,
            number,
            to_org_id,
        } => DataJson::TransferredOut {
            phone_number_id: phone_number_id.get(),
            number: number.as_str(),
            to_org_id: to_org_id.get(),
        },
        EventData::Test => DataJson::Empty {},
    };
    serde_json::to_vec(&EventJson {
        id: event.id.to_string(),
        kind: event.kind.as_str(),
        timestamp: timestamp(event.created_at),
        org_id: event.org_id.get(),
        data,
    })
}
