//! Rows of `phone_numbers` and `phone_number_versions`, and their mapping
//! to and from the domain. Rows are private to the store: the domain types
//! never know about Diesel, and a row is decoded through the domain's own
//! validating constructors, so a bad value in the database is an error,
//! never a bad domain value.

use std::str::FromStr;

use diesel::prelude::*;
use thunderphone_domain::{
    Actor, AgentId, ApiKeyId, E164, IdError, OrgId, ParseError, PhoneNumber, PhoneNumberId,
    PhoneNumberParts, Timestamp, UserId, Version, VersionSnapshot, VoipConnectionId,
};

use crate::error::{Failure, corrupt};
use crate::schema::{phone_number_versions, phone_numbers};

/// Decodes a stored id.
pub(crate) fn id<T>(
    what: &str,
    raw: i64,
    make: fn(i64) -> Result<T, IdError>,
) -> Result<T, Failure> {
    make(raw).map_err(|e| corrupt(what, e))
}

/// Decodes an optional stored id.
pub(crate) fn opt_id<T>(
    what: &str,
    raw: Option<i64>,
    make: fn(i64) -> Result<T, IdError>,
) -> Result<Option<T>, Failure> {
    raw.map(|raw| id(what, raw, make)).transpose()
}

/// Decodes a stored wire-enum value (`status`, `source`, `role`, …).
pub(crate) fn wire<T: FromStr<Err = ParseError>>(what: &str, raw: &str) -> Result<T, Failure> {
    raw.parse().map_err(|e| corrupt(what, e))
}

/// Decodes a stored version.
pub(crate) fn version(raw: i64) -> Result<Version, Failure> {
    Version::new(raw).ok_or_else(|| corrupt("version", raw))
}

/// A `phone_numbers` row (without `deleted_at`: only live rows are read).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = phone_numbers, check_for_backend(diesel::pg::Pg))]
pub(crate) struct NumberRow {
    id: i64,
    org_id: i64,
    number: String,
    source: String,
    status: String,
    inbound_agent_id: Option<i64>,
    outbound_agent_id: Option<i64>,
    voip_connection_id: Option<i64>,
    voip_verification_status: String,
    voip_last_verified_at: Option<Timestamp>,
    status_reason: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl NumberRow {
    /// The row's id, readable before (and whether or not) it decodes.
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    /// Restores the domain number.
    pub(crate) fn into_domain(self) -> Result<PhoneNumber, Failure> {
        Ok(PhoneNumberParts {
            id: id("phone number id", self.id, PhoneNumberId::new)?,
            org_id: id("org id", self.org_id, OrgId::new)?,
            number: E164::from_canonical(&self.number).map_err(|e| corrupt("number", e))?,
            source: wire("source", &self.source)?,
            status: wire("status", &self.status)?,
            inbound_agent_id: opt_id("agent id", self.inbound_agent_id, AgentId::new)?,
            outbound_agent_id: opt_id("agent id", self.outbound_agent_id, AgentId::new)?,
            voip_connection_id: opt_id(
                "connection id",
                self.voip_connection_id,
                VoipConnectionId::new,
            )?,
            voip_verification_status: wire("verification status", &self.voip_verification_status)?,
            voip_last_verified_at: self.voip_last_verified_at,
            status_reason: self.status_reason,
            version: version(self.version)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .rehydrate())
    }
}

/// A whole new `phone_numbers` row, id included (taken from the identity
/// sequence beforehand, so the domain builds the number it will be).
#[derive(Insertable)]
#[diesel(table_name = phone_numbers)]
pub(crate) struct NewNumberRow<'a> {
    id: i64,
    number: &'a str,
    source: &'static str,
    #[diesel(embed)]
    state: NumberState<'a>,
    created_at: Timestamp,
}

impl<'a> NewNumberRow<'a> {
    /// The row of a freshly created number.
    pub(crate) fn new(number: &'a PhoneNumber) -> Self {
        let parts = number.parts();
        Self {
            id: parts.id.get(),
            number: parts.number.as_str(),
            source: parts.source.as_str(),
            state: NumberState::new(number),
            created_at: parts.created_at,
        }
    }
}

/// The mutable columns of a number: what a change writes.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = phone_numbers, treat_none_as_null = true)]
pub(crate) struct NumberState<'a> {
    org_id: i64,
    status: &'static str,
    inbound_agent_id: Option<i64>,
    outbound_agent_id: Option<i64>,
    voip_connection_id: Option<i64>,
    voip_verification_status: &'static str,
    voip_last_verified_at: Option<Timestamp>,
    status_reason: Option<&'a str>,
    version: i64,
    updated_at: Timestamp,
}

impl<'a> NumberState<'a> {
    /// The state columns of `number`.
    pub(crate) fn new(number: &'a PhoneNumber) -> Self {
        let parts = number.parts();
        Self {
            org_id: parts.org_id.get(),
            status: parts.status.as_str(),
            inbound_agent_id: parts.inbound_agent_id.map(AgentId::get),
            outbound_agent_id: parts.outbound_agent_id.map(AgentId::get),
            voip_connection_id: parts.voip_connection_id.map(VoipConnectionId::get),
            voip_verification_status: parts.voip_verification_status.as_str(),
            voip_last_verified_at: parts.voip_last_verified_at,
            status_reason: parts.status_reason.as_deref(),
            version: parts.version.get(),
            updated_at: parts.updated_at,
        }
    }
}

/// A `phone_number_versions` row, read and written.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = phone_number_versions, check_for_backend(diesel::pg::Pg))]
pub(crate) struct VersionRow {
    phone_number_id: i64,
    version: i64,
    org_id: i64,
    status: String,
    inbound_agent_id: Option<i64>,
    outbound_agent_id: Option<i64>,
    voip_connection_id: Option<i64>,
    voip_verification_status: String,
    change: String,
    changed_by_user_id: Option<i64>,
    changed_by_api_key_id: Option<i64>,
    created_at: Timestamp,
}

impl VersionRow {
    /// The row recording `snapshot`.
    pub(crate) fn new(snapshot: &VersionSnapshot) -> Self {
        Self {
            phone_number_id: snapshot.phone_number_id.get(),
            version: snapshot.version.get(),
            org_id: snapshot.org_id.get(),
            status: snapshot.status.as_str().to_owned(),
            inbound_agent_id: snapshot.inbound_agent_id.map(AgentId::get),
            outbound_agent_id: snapshot.outbound_agent_id.map(AgentId::get),
            voip_connection_id: snapshot.voip_connection_id.map(VoipConnectionId::get),
            voip_verification_status: snapshot.voip_verification_status.as_str().to_owned(),
            change: snapshot.change.as_str().to_owned(),
            changed_by_user_id: snapshot.changed_by.map(|a| a.user_id.get()),
            changed_by_api_key_id: snapshot.changed_by.map(|a| a.api_key_id.get()),
            created_at: snapshot.created_at,
        }
    }

    /// Restores the snapshot.
    pub(crate) fn into_domain(self) -> Result<VersionSnapshot, Failure> {
        let changed_by = match (self.changed_by_user_id, self.changed_by_api_key_id) {
            (Some(user), Some(key)) => Some(Actor {
                user_id: id("user id", user, UserId::new)?,
                api_key_id: id("api key id", key, ApiKeyId::new)?,
            }),
            (None, None) => None,
            _ => return Err(corrupt("actor", "only half of it is recorded")),
        };
        Ok(VersionSnapshot {
            version: version(self.version)?,
            phone_number_id: id("phone number id", self.phone_number_id, PhoneNumberId::new)?,
            org_id: id("org id", self.org_id, OrgId::new)?,
            status: wire("status", &self.status)?,
            inbound_agent_id: opt_id("agent id", self.inbound_agent_id, AgentId::new)?,
            outbound_agent_id: opt_id("agent id", self.outbound_agent_id, AgentId::new)?,
            voip_connection_id: opt_id(
                "connection id",
                self.voip_connection_id,
                VoipConnectionId::new,
            )?,
            voip_verification_status: wire("verification status", &self.voip_verification_status)?,
            change: wire("change", &self.change)?,
            changed_by,
            created_at: self.created_at,
        })
    }
}
