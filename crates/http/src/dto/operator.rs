//! Operator API requests and responses (API.md §13).

use serde::{Deserialize, Serialize};
use thunderphone_app::IssuedApiKey;
use thunderphone_domain::{Membership, Org, User};
use utoipa::ToSchema;

use super::names::RoleName;
use super::timestamp;

/// `POST /admin/v1/orgs`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreateOrgRequest)]
#[serde(deny_unknown_fields)]
pub struct OrgBody {
    /// 1–100 characters, no control characters; surrounding whitespace
    /// is trimmed.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r#"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]|[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"#, example = "Acme")]
    pub name: Option<String>,
}

/// An org.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Org)]
pub struct OrgDto {
    /// Id.
    #[schema(minimum = 1)]
    pub id: i64,
    /// Name.
    pub name: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&Org> for OrgDto {
    fn from(o: &Org) -> Self {
        Self {
            id: o.id.get(),
            name: o.name.to_string(),
            created_at: timestamp(o.created_at),
        }
    }
}

/// `POST /admin/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreateUserRequest)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    /// E-mail address (`local@domain.tld`, no whitespace), unique; stored
    /// lower-case.
    #[schema(value_type = String, required = true, min_length = 5, max_length = 254, pattern = r#"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^@\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+@[^@.\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^@\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*\.[^@\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^@.\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"#, example = "ada@example.com")]
    pub email: Option<String>,
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserDto {
    /// Id.
    #[schema(minimum = 1)]
    pub id: i64,
    /// E-mail, lower-case.
    pub email: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.get(),
            email: u.email.as_str().to_owned(),
            created_at: timestamp(u.created_at),
        }
    }
}

/// `PUT /admin/v1/orgs/{org_id}/members/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SetMembershipRequest)]
#[serde(deny_unknown_fields)]
pub struct MembershipBody {
    /// `member`, `admin` or `owner`.
    #[schema(value_type = RoleName, required = true, example = "admin")]
    pub role: Option<String>,
}

/// A membership.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Membership)]
pub struct MembershipDto {
    /// Org.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// User.
    #[schema(minimum = 1)]
    pub user_id: i64,
    /// Role.
    #[schema(value_type = RoleName)]
    pub role: &'static str,
}

impl From<&Membership> for MembershipDto {
    fn from(m: &Membership) -> Self {
        Self {
            org_id: m.org_id.get(),
            user_id: m.user_id.get(),
            role: m.role.as_str(),
        }
    }
}

/// `POST /admin/v1/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreateApiKeyRequest)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyBody {
    /// The user the key acts as.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub user_id: Option<i64>,
    /// The org the key acts in; the user must be a member.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub org_id: Option<i64>,
}

/// A new API key: `key` is shown only in this response.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedApiKey)]
pub struct ApiKeyDto {
    /// Id (used to revoke it).
    #[schema(minimum = 1)]
    pub id: i64,
    /// User.
    #[schema(minimum = 1)]
    pub user_id: i64,
    /// Org.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// The key; store it now, it cannot be shown again.
    #[schema(example = "tpk_…")]
    pub key: String,
}

impl From<&IssuedApiKey> for ApiKeyDto {
    fn from(k: &IssuedApiKey) -> Self {
        Self {
            id: k.record.id.get(),
            user_id: k.record.user_id.get(),
            org_id: k.record.org_id.get(),
            key: k.key.clone(),
        }
    }
}

/// `GET /v1/me`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeDto {
    /// The key's user.
    #[schema(minimum = 1)]
    pub user_id: i64,
    /// The key's org.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// The user's role in the org.
    #[schema(value_type = RoleName, example = "owner")]
    pub role: &'static str,
    /// The key.
    #[schema(minimum = 1)]
    pub api_key_id: i64,
}
