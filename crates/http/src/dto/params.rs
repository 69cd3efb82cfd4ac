//! Parameters several operations share, for the OpenAPI document. The
//! handlers read them with `QueryParams`, `path_id` and `IfMatchHeader`;
//! these types only describe them, once.

// Only the parameter descriptions are used: no value is ever built.
#![allow(dead_code)]

use utoipa::IntoParams;

/// `limit` and `cursor` of every paginated list (API.md §4).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200, example = 50)]
    limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`, valid only for
    /// the list, org and filters it was issued for.
    #[param(max_length = 128, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$")]
    cursor: Option<String>,
}

/// The number named in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PhoneNumberPath {
    /// Number id.
    #[param(minimum = 1, example = 1)]
    phone_number_id: i64,
}

/// The agent named in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgentPath {
    /// Agent id.
    #[param(minimum = 1, example = 1)]
    agent_id: i64,
}

/// The VoIP connection named in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConnectionPath {
    /// Connection id.
    #[param(minimum = 1, example = 1)]
    voip_connection_id: i64,
}

/// `If-Match` of the writes to a number (API.md §6).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchParam {
    /// `"<version>"` (the `ETag` of a read), a list of them, or `*`:
    /// refuse with 412 unless the number is at one of these versions.
    #[param(rename = "If-Match", example = "\"1\"")]
    if_match: Option<String>,
}

/// The webhook endpoint named in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookEndpointPath {
    /// Endpoint id.
    #[param(minimum = 1, example = 1)]
    webhook_endpoint_id: i64,
}

/// A delivery of the endpoint named in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// Endpoint id.
    #[param(minimum = 1, example = 1)]
    webhook_endpoint_id: i64,
    /// Delivery id.
    #[param(minimum = 1, example = 1)]
    delivery_id: i64,
}

/// The event named in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventPath {
    /// Event id (`evt_…`).
    #[param(
        example = "evt_01JDXQ3B5Y2W1V8S7R6Q5P4N3M",
        pattern = "^evt_[0-9A-HJKMNP-TV-Z]{26}$"
    )]
    event_id: String,
}

/// Filters of `GET /v1/events`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilterParams {
    /// Only events of this type.
    #[param(rename = "type", example = "phone_number.activated")]
    kind: Option<String>,
    /// Only events about this number.
    #[param(minimum = 1)]
    phone_number_id: Option<i64>,
}

/// Filter of `GET /v1/webhook-endpoints/{id}/deliveries`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilterParams {
    /// `pending`, `succeeded` or `failed`.
    #[param(example = "failed")]
    status: Option<String>,
}
