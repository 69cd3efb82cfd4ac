//! Rows of `events` and their mapping to and from the domain's [`Event`].
//! The event's data is kept as typed columns (the number's columns, who
//! made the change, the target org of a transfer, the checks as JSON), so
//! that reading an event back gives exactly the event written.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use thunderphone_domain::{
    Actor, AgentId, ApiKeyId, CheckOutcome, E164, Event, EventData, EventId, EventType, OrgId,
    PhoneNumber, PhoneNumberId, PhoneNumberParts, Timestamp, UserId, VoipConnectionId,
};

use crate::error::{Failure, corrupt};
use crate::rows::{id, opt_id, version, wire};
use crate::schema::events;

/// One check as stored in the `checks` JSON array.
#[derive(Debug, Serialize, Deserialize)]
struct StoredCheck {
    name: String,
    passed: bool,
    detail: String,
}

/// An `events` row, read and written (`seq` is the database's).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
// NULL for `None`, so the INSERT has one text (one prepared statement).
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct EventRow {
    id: String,
    org_id: i64,
    kind: String,
    created_at: Timestamp,
    phone_number_id: Option<i64>,
    number: Option<String>,
    source: Option<String>,
    status: Option<String>,
    inbound_agent_id: Option<i64>,
    outbound_agent_id: Option<i64>,
    voip_connection_id: Option<i64>,
    voip_verification_status: Option<String>,
    voip_last_verified_at: Option<Timestamp>,
    status_reason: Option<String>,
    version: Option<i64>,
    number_created_at: Option<Timestamp>,
    number_updated_at: Option<Timestamp>,
    changed_by_user_id: Option<i64>,
    changed_by_api_key_id: Option<i64>,
    to_org_id: Option<i64>,
    checks: Option<serde_json::Value>,
}

impl EventRow {
    /// The row of `event`. Refuses an event whose data does not fit its
    /// type, and a number event about a number of another org (it would
    /// show the number to an org that does not hold it).
    pub(crate) fn new(event: &Event) -> Result<Self, Failure> {
        let mut row = Self {
            id: event.id.to_string(),
            org_id: event.org_id.get(),
            kind: event.kind.as_str().to_owned(),
            created_at: event.created_at,
            phone_number_id: None,
            number: None,
            source: None,
            status: None,
            inbound_agent_id: None,
            outbound_agent_id: None,
            voip_connection_id: None,
            voip_verification_status: None,
            voip_last_verified_at: None,
            status_reason: None,
            version: None,
            number_created_at: None,
            number_updated_at: None,
            changed_by_user_id: None,
            changed_by_api_key_id: None,
            to_org_id: None,
            checks: None,
        };
        let misfit = || {
            corrupt(
                "event to record",
                format_args!("{} {}", event.kind, event.id),
            )
        };
        match (&event.data, event.kind) {
            (EventData::Test, EventType::WebhookTest) => {}
            (
                EventData::TransferredOut {
                    phone_number_id,
                    number,
                    to_org_id,
                },
                EventType::TransferredOut,
            ) => {
                row.phone_number_id = Some(phone_number_id.get());
                row.number = Some(number.as_str().to_owned());
                row.to_org_id = Some(to_org_id.get());
            }
            (
                EventData::Number {
                    number,
                    changed_by,
                    checks,
                },
                kind,
            ) if kind != EventType::WebhookTest && kind != EventType::TransferredOut => {
                if number.org_id() != event.org_id {
                    return Err(misfit());
                }
                row.set_number(number);
                row.changed_by_user_id = changed_by.map(|a| a.user_id.get());
                row.changed_by_api_key_id = changed_by.map(|a| a.api_key_id.get());
                row.checks = encode_checks(checks)?;
            }
            _ => return Err(misfit()),
        }
        Ok(row)
    }

    fn set_number(&mut self, number: &PhoneNumber) {
        let parts = number.parts();
        self.phone_number_id = Some(parts.id.get());
        self.number = Some(parts.number.as_str().to_owned());
        self.source = Some(parts.source.as_str().to_owned());
        self.status = Some(parts.status.as_str().to_owned());
        self.inbound_agent_id = parts.inbound_agent_id.map(AgentId::get);
        self.outbound_agent_id = parts.outbound_agent_id.map(AgentId::get);
        self.voip_connection_id = parts.voip_connection_id.map(VoipConnectionId::get);
        self.voip_verification_status = Some(parts.voip_verification_status.as_str().to_owned());
        self.voip_last_verified_at = parts.voip_last_verified_at;
        self.status_reason.clone_from(&parts.status_reason);
        self.version = Some(parts.version.get());
        self.number_created_at = Some(parts.created_at);
        self.number_updated_at = Some(parts.updated_at);
    }

    /// Restores the event.
    pub(crate) fn into_domain(self) -> Result<Event, Failure> {
        let kind: EventType = wire("event type", &self.kind)?;
        let org_id = id("org id", self.org_id, OrgId::new)?;
        let event_id: EventId = self.id.parse().map_err(|e| corrupt("event id", e))?;
        let created_at = self.created_at;
        let data = match kind {
            EventType::WebhookTest => EventData::Test,
            EventType::TransferredOut => EventData::TransferredOut {
                phone_number_id: id(
                    "phone number id",
                    required("phone_number_id", self.phone_number_id)?,
                    PhoneNumberId::new,
                )?,
                number: number(required("number", self.number)?)?,
                to_org_id: id("org id", required("to_org_id", self.to_org_id)?, OrgId::new)?,
            },
            _ => self.number_data(org_id)?,
        };
        Ok(Event {
            id: event_id,
            org_id,
            kind,
            data,
            created_at,
        })
    }

    fn number_data(self, org_id: OrgId) -> Result<EventData, Failure> {
        let changed_by = match (self.changed_by_user_id, self.changed_by_api_key_id) {
            (Some(user), Some(key)) => Some(Actor {
                user_id: id("user id", user, UserId::new)?,
                api_key_id: id("api key id", key, ApiKeyId::new)?,
            }),
            (None, None) => None,
            _ => return Err(corrupt("actor", "only half of it is recorded")),
        };
        let checks = decode_checks(self.checks)?;
        let number = PhoneNumberParts {
            id: id(
                "phone number id",
                required("phone_number_id", self.phone_number_id)?,
                PhoneNumberId::new,
            )?,
            org_id,
            number: number(required("number", self.number)?)?,
            source: wire("source", &required("source", self.source)?)?,
            status: wire("status", &required("status", self.status)?)?,
            inbound_agent_id: opt_id("agent id", self.inbound_agent_id, AgentId::new)?,
            outbound_agent_id: opt_id("agent id", self.outbound_agent_id, AgentId::new)?,
            voip_connection_id: opt_id(
                "connection id",
                self.voip_connection_id,
                VoipConnectionId::new,
            )?,
            voip_verification_status: wire(
                "verification status",
                &required("voip_verification_status", self.voip_verification_status)?,
            )?,
            voip_last_verified_at: self.voip_last_verified_at,
            status_reason: self.status_reason,
            version: version(required("version", self.version)?)?,
            created_at: required("number_created_at", self.number_created_at)?,
            updated_at: required("number_updated_at", self.number_updated_at)?,
        }
        .rehydrate();
        Ok(EventData::Number {
            number,
            changed_by,
            checks,
        })
    }
}

/// A column the event's type requires.
fn required<T>(column: &str, value: Option<T>) -> Result<T, Failure> {
    value.ok_or_else(|| corrupt("event", format_args!("{column} is missing")))
}

fn number(raw: String) -> Result<E164, Failure> {
    E164::from_canonical(&raw).map_err(|e| corrupt("number", e))
}

/// The checks as a JSON array; `None` when there are none.
fn encode_checks(checks: &[CheckOutcome]) -> Result<Option<serde_json::Value>, Failure> {
    if checks.is_empty() {
        return Ok(None);
    }
    let stored: Vec<StoredCheck> = checks
        .iter()
        .map(|c| StoredCheck {
            name: c.name.clone(),
            passed: c.passed,
            detail: c.detail.clone(),
        })
        .collect();
    serde_json::to_value(stored)
        .map(Some)
        .map_err(|e| corrupt("checks", e))
}

fn decode_checks(value: Option<serde_json::Value>) -> Result<Vec<CheckOutcome>, Failure> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let stored: Vec<StoredCheck> =
        serde_json::from_value(value).map_err(|e| corrupt("checks", e))?;
    Ok(stored
        .into_iter()
        .map(|c| CheckOutcome {
            name: c.name,
            passed: c.passed,
            detail: c.detail,
        })
        .collect())
}
