//! Events (API.md §14). An event's JSON is rendered by the application
//! (the same bytes a webhook delivers); these types only describe it.

// Only the schema descriptions are used: no value is ever built.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// An event: what happened to a phone number, as webhooks deliver it.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventDoc {
    /// `evt_` and 26 characters.
    #[schema(
        example = "evt_01JDXQ3B5Y2W1V8S7R6Q5P4N3M",
        pattern = "^evt_[0-9A-HJKMNP-TV-Z]{26}$"
    )]
    id: String,
    /// `phone_number.created`, `phone_number.activated`, … or `webhook.test`.
    #[serde(rename = "type")]
    #[schema(example = "phone_number.activated")]
    kind: String,
    /// When the change was made (RFC 3339, UTC).
    #[schema(format = DateTime)]
    timestamp: String,
    /// The org that sees it.
    #[schema(minimum = 1)]
    org_id: i64,
    /// `{phone_number, version, changed_by}` (plus `verification` for
    /// verification outcomes); `{phone_number_id, number, to_org_id}` for
    /// `phone_number.transferred_out`; `{}` for `webhook.test`.
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// A page of events.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    /// Newest first.
    data: Vec<EventDoc>,
    /// Cursor of the next page; `null` on the last page.
    next_cursor: Option<String>,
}
