//! Agent requests and responses (API.md §12).

use serde::{Deserialize, Serialize};
use thunderphone_domain::{Agent, DisplayName};
use utoipa::ToSchema;

use super::timestamp;
use crate::Problem;

/// An agent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Agent)]
pub struct AgentDto {
    /// Id.
    #[schema(example = 12, minimum = 1)]
    pub id: i64,
    /// Org.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Name.
    #[schema(example = "Front desk")]
    pub name: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&Agent> for AgentDto {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id.get(),
            org_id: a.org_id.get(),
            name: a.name.to_string(),
            created_at: timestamp(a.created_at),
        }
    }
}

/// `POST /v1/agents` and `PATCH /v1/agents/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AgentRequest)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    /// 1–100 characters, no control characters; surrounding whitespace
    /// is trimmed.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r#"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]|[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"#, example = "Front desk")]
    pub name: Option<String>,
}

impl AgentBody {
    /// The validated name.
    pub fn name(self) -> Result<DisplayName, Problem> {
        let raw = self
            .name
            .ok_or_else(|| Problem::invalid("name", "is required"))?;
        DisplayName::parse(&raw).map_err(|e| Problem::invalid("name", e.to_string()))
    }
}

/// A page of agents.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    /// Newest first.
    pub data: Vec<AgentDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
