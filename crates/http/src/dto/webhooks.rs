//! Webhook endpoint and delivery requests and responses (API.md §14).

use serde::{Deserialize, Serialize};
use thunderphone_app::{EndpointWithSecret, FieldError, NewEndpointRequest};
use thunderphone_domain::{
    Delivery, Description, EventType, EventTypes, WebhookEndpoint, WebhookUrl,
};
use thunderphone_ports::EndpointChange;
use utoipa::ToSchema;

use super::{double_option, timestamp};
use crate::Problem;

/// A webhook endpoint (its secret is never shown again after creation).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
pub struct EndpointDto {
    /// Id.
    #[schema(example = 3, minimum = 1)]
    pub id: i64,
    /// Org.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Where deliveries go.
    #[schema(example = "https://hooks.example.com/thunderphone")]
    pub url: String,
    /// The event types it receives.
    #[schema(example = json!(["phone_number.activated"]))]
    pub event_types: Vec<&'static str>,
    /// Free text.
    pub description: Option<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why the server disabled it (every attempt failed for 24 h).
    pub disabled_reason: Option<String>,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&WebhookEndpoint> for EndpointDto {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id.get(),
            org_id: e.org_id.get(),
            url: e.url.to_string(),
            event_types: e
                .event_types
                .as_slice()
                .iter()
                .map(|t| t.as_str())
                .collect(),
            description: e.description.as_ref().map(|d| d.as_str().to_owned()),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            created_at: timestamp(e.created_at),
        }
    }
}

/// An endpoint with its signing secret: the answer of creation and of
/// rotation, the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookEndpointWithSecret)]
pub struct EndpointWithSecretDto {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointDto,
    /// `whsec_` and the base64 of 32 random bytes; `null` when an
    /// `Idempotency-Key` replays the answer (it was shown once already).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
}

impl From<&EndpointWithSecret> for EndpointWithSecretDto {
    fn from(e: &EndpointWithSecret) -> Self {
        Self {
            endpoint: (&e.endpoint).into(),
            secret: Some(e.secret.clone()),
        }
    }
}

/// A page of endpoints.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookEndpointList)]
pub struct EndpointList {
    /// Newest first.
    pub data: Vec<EndpointDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /v1/webhook-endpoints`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreateWebhookEndpointRequest)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointBody {
    /// `https://…`; `http://` only to destinations the operator allows.
    #[schema(example = "https://hooks.example.com/thunderphone", max_length = 2048)]
    pub url: Option<String>,
    /// Event types to receive; every type when absent.
    #[schema(example = json!(["phone_number.activated", "phone_number.provisioning_failed"]))]
    pub event_types: Option<Vec<String>>,
    /// Free text, at most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

impl CreateEndpointBody {
    /// The validated request; every invalid field named.
    pub fn request(self) -> Result<NewEndpointRequest, Problem> {
        let mut errors = Vec::new();
        let url = match self.url {
            None => {
                errors.push(FieldError::new("url", "is required"));
                None
            }
            Some(raw) => parse_url(&raw, &mut errors),
        };
        let event_types = match self.event_types {
            None => Some(EventTypes::all()),
            Some(raw) => parse_types(&raw, &mut errors),
        };
        let description = self
            .description
            .and_then(|raw| parse_description(&raw, &mut errors));
        match (url, event_types, errors.is_empty()) {
            (Some(url), Some(event_types), true) => Ok(NewEndpointRequest {
                url,
                event_types,
                description,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

/// `PATCH /v1/webhook-endpoints/{id}`: what is given changes.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = UpdateWebhookEndpointRequest)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointBody {
    /// New URL.
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `false` stops deliveries; `true` resumes them (and clears
    /// `disabled_reason`).
    pub enabled: Option<bool>,
}

impl UpdateEndpointBody {
    /// The validated change.
    pub fn change(self) -> Result<EndpointChange, Problem> {
        let mut errors = Vec::new();
        let url = self.url.and_then(|raw| parse_url(&raw, &mut errors));
        let event_types = self
            .event_types
            .and_then(|raw| parse_types(&raw, &mut errors));
        let description = self
            .description
            .map(|d| d.and_then(|raw| parse_description(&raw, &mut errors)));
        if errors.is_empty() {
            Ok(EndpointChange {
                url,
                event_types,
                description,
                enabled: self.enabled,
            })
        } else {
            Err(Problem::validation(errors))
        }
    }
}

fn parse_url(raw: &str, errors: &mut Vec<FieldError>) -> Option<WebhookUrl> {
    WebhookUrl::parse(raw)
        .map_err(|e| errors.push(FieldError::new("url", e.to_string())))
        .ok()
}

fn parse_types(raw: &[String], errors: &mut Vec<FieldError>) -> Option<EventTypes> {
    let before = errors.len();
    let mut types = Vec::with_capacity(raw.len());
    for (i, name) in raw.iter().enumerate() {
        match name.parse::<EventType>() {
            Ok(t) => types.push(t),
            Err(_) => errors.push(FieldError::new(
                format!("event_types[{i}]"),
                format!(
                    "must be one of: {}",
                    EventType::subscribable()
                        .map(EventType::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            )),
        }
    }
    if errors.len() > before {
        return None;
    }
    EventTypes::new(types)
        .map_err(|e| errors.push(FieldError::new("event_types", e.to_string())))
        .ok()
}

fn parse_description(raw: &str, errors: &mut Vec<FieldError>) -> Option<Description> {
    Description::parse(raw)
        .map_err(|e| errors.push(FieldError::new("description", e.to_string())))
        .ok()
}

/// One event's delivery to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct DeliveryDto {
    /// Id.
    #[schema(minimum = 1)]
    pub id: i64,
    /// The event delivered (also its `webhook-id`).
    #[schema(example = "evt_01JDXQ3B5Y2W1V8S7R6Q5P4N3M")]
    pub event_id: String,
    /// Its type.
    #[schema(example = "phone_number.activated")]
    pub event_type: &'static str,
    /// `pending`, `succeeded` or `failed`.
    #[schema(example = "succeeded")]
    pub status: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub last_attempt_at: Option<String>,
    /// When the next attempt is due; `null` once settled.
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// The status of the last answer, if any.
    pub last_response_status: Option<u16>,
    /// What went wrong last (with at most 1 KiB of the answer).
    pub last_error: Option<String>,
}

impl From<&Delivery> for DeliveryDto {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id.get(),
            event_id: d.event_id.to_string(),
            event_type: d.event_type.as_str(),
            status: d.status.as_str(),
            attempts: d.attempts,
            last_attempt_at: d.last_attempt_at.map(timestamp),
            next_attempt_at: d.next_attempt_at.map(timestamp),
            last_response_status: d.last_response_status,
            last_error: d.last_error.clone(),
        }
    }
}

/// A page of deliveries.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDeliveryList)]
pub struct DeliveryList {
    /// Newest first.
    pub data: Vec<DeliveryDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
