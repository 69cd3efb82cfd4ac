//! Version history and verification responses (API.md §8, §9).

use serde::Serialize;
use thunderphone_app::VerificationReport;
use thunderphone_domain::{AgentId, VersionSnapshot, VoipConnectionId};
use utoipa::ToSchema;

use super::names::{ChangeName, StatusName, VerificationResultName, VerificationStatusName};
use super::numbers::PhoneNumberDto;
use super::timestamp;

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ChangedBy)]
pub struct ChangedByDto {
    /// The user.
    #[schema(minimum = 1)]
    pub user_id: i64,
    /// The API key used.
    #[schema(minimum = 1)]
    pub api_key_id: i64,
}

/// One version snapshot (API.md §8).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumberVersion)]
pub struct VersionDto {
    /// Matches the number's `version` after the change.
    #[schema(minimum = 1)]
    pub version: i64,
    /// The number.
    #[schema(minimum = 1)]
    pub phone_number_id: i64,
    /// Org after the change.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Status after the change.
    #[schema(value_type = StatusName)]
    pub status: &'static str,
    /// Inbound agent after the change.
    #[schema(minimum = 1)]
    pub inbound_agent_id: Option<i64>,
    /// Outbound agent after the change.
    #[schema(minimum = 1)]
    pub outbound_agent_id: Option<i64>,
    /// Connection after the change.
    #[schema(minimum = 1)]
    pub voip_connection_id: Option<i64>,
    /// Verification status after the change.
    #[schema(value_type = VerificationStatusName)]
    pub voip_verification_status: &'static str,
    /// `created`, `activated`, `provisioning_failed`, `assigned`, `status_changed`, `transferred`, `verified` or `verification_failed`.
    #[schema(value_type = ChangeName, example = "assigned")]
    pub change: &'static str,
    /// `null` for changes made by the system.
    pub changed_by: Option<ChangedByDto>,
    /// When (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&VersionSnapshot> for VersionDto {
    fn from(v: &VersionSnapshot) -> Self {
        Self {
            version: v.version.get(),
            phone_number_id: v.phone_number_id.get(),
            org_id: v.org_id.get(),
            status: v.status.as_str(),
            inbound_agent_id: v.inbound_agent_id.map(AgentId::get),
            outbound_agent_id: v.outbound_agent_id.map(AgentId::get),
            voip_connection_id: v.voip_connection_id.map(VoipConnectionId::get),
            voip_verification_status: v.voip_verification_status.as_str(),
            change: v.change.as_str(),
            changed_by: v.changed_by.map(|a| ChangedByDto {
                user_id: a.user_id.get(),
                api_key_id: a.api_key_id.get(),
            }),
            created_at: timestamp(v.created_at),
        }
    }
}

/// A page of version snapshots.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumberVersionList)]
pub struct VersionList {
    /// Newest first.
    pub data: Vec<VersionDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One verification check.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VerificationCheck)]
pub struct CheckDto {
    /// `credentials`, `number_in_account`, `inbound_routing`, `outbound_trunking`.
    #[schema(example = "outbound_trunking")]
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found; for a failure, what to fix.
    #[schema(example = "SIP OPTIONS to sip:pbx.example.com:5060 timed out after 3 s")]
    pub detail: String,
}

/// The outcome of a verification run.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Verification)]
pub struct VerificationDto {
    /// `verified` or `failed`.
    #[schema(value_type = VerificationResultName, example = "failed")]
    pub result: &'static str,
    /// When the run finished (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub checked_at: String,
    /// Each check.
    pub checks: Vec<CheckDto>,
}

impl From<&VerificationReport> for VerificationDto {
    fn from(r: &VerificationReport) -> Self {
        Self {
            result: if r.passed { "verified" } else { "failed" },
            checked_at: timestamp(r.checked_at),
            checks: r
                .checks
                .iter()
                .map(|c| CheckDto {
                    name: c.name.clone(),
                    passed: c.passed,
                    detail: c.detail.clone(),
                })
                .collect(),
        }
    }
}

/// `POST …/verify-voip`: the number plus the verification run.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VerifiedPhoneNumber)]
pub struct VerifiedDto {
    /// The number.
    #[serde(flatten)]
    pub number: PhoneNumberDto,
    /// The run.
    pub verification: VerificationDto,
}
