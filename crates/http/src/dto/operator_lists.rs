//! Operator lists (API.md §17): pages of orgs, users, members and API
//! keys. A listed key never carries its secret or its hash.

use serde::Serialize;
use thunderphone_app::FieldError;
use thunderphone_domain::{OrgId, UserId};
use thunderphone_ports::{ApiKeyFilter, ListedApiKey};
use utoipa::ToSchema;

use super::operator::{MembershipDto, OrgDto, UserDto};
use super::timestamp;
use crate::Problem;
use crate::extract::QueryParams;

/// A page of orgs.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgList {
    /// The orgs, newest first.
    pub data: Vec<OrgDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// The users, newest first.
    pub data: Vec<UserDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of an org's members.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipList {
    /// The memberships, newest user first.
    pub data: Vec<MembershipDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A stored API key: its ids and dates, never the key or its hash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiKey)]
pub struct ApiKeyRecordDto {
    /// Id (used to revoke it).
    #[schema(minimum = 1)]
    pub id: i64,
    /// The user it acts as.
    #[schema(minimum = 1)]
    pub user_id: i64,
    /// The org it acts in.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was revoked; `null` while it works.
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<&ListedApiKey> for ApiKeyRecordDto {
    fn from(k: &ListedApiKey) -> Self {
        Self {
            id: k.key.id.get(),
            user_id: k.key.user_id.get(),
            org_id: k.key.org_id.get(),
            created_at: timestamp(k.key.created_at),
            revoked_at: k.revoked_at.map(timestamp),
        }
    }
}

/// A page of API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// The keys, newest first (revoked ones included).
    pub data: Vec<ApiKeyRecordDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of `GET /admin/v1/api-keys`.
pub const API_KEY_PARAMS: &[&str] = &["limit", "cursor", "org_id", "user_id"];

/// The filters of `GET /admin/v1/api-keys`, reporting every bad one.
pub fn api_key_filter(query: &QueryParams) -> Result<ApiKeyFilter, Problem> {
    let mut errors = Vec::new();
    let mut id = |field: &str| -> Option<i64> {
        let raw = query.get(field)?;
        match raw.parse::<i64>() {
            Ok(value) if value > 0 => Some(value),
            _ => {
                errors.push(FieldError::new(field, "must be a positive integer id"));
                None
            }
        }
    };
    let org_id = id("org_id").and_then(|v| OrgId::new(v).ok());
    let user_id = id("user_id").and_then(|v| UserId::new(v).ok());
    if errors.is_empty() {
        Ok(ApiKeyFilter { org_id, user_id })
    } else {
        Err(Problem::validation(errors))
    }
}
