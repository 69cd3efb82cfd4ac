//! One webhook endpoint: its settings, changed by admins (event types,
//! enabled, description, URL), and its deliveries (see `deliveries`).
//! Members see the same page without the controls; a change they post
//! anyway is refused by the application, as through the API.

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use thunderphone_app::{Action, AppError};
use thunderphone_domain::{
    DeliveryId, Description, EventType, EventTypes, WebhookEndpoint, WebhookEndpointId, WebhookUrl,
};
use thunderphone_ports::EndpointChange;

use super::deliveries::{self, DeliveriesPart};
use super::{Chrome, error_page, html};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};
use crate::words::{Shown, plain, sentence};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/webhooks/{id}", web::get().to(show))
        .route("/webhooks/{id}", web::post().to(edit));
    deliveries::routes(cfg);
}

/// The event types an endpoint receives, for a table cell.
pub(super) fn event_list(types: &EventTypes) -> String {
    types
        .as_slice()
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Enabled, or disabled and why.
pub(super) fn endpoint_state(endpoint: &WebhookEndpoint) -> String {
    match (&endpoint.enabled, &endpoint.disabled_reason) {
        (true, _) => "enabled".to_owned(),
        (false, Some(reason)) => format!("disabled: {reason}"),
        (false, None) => "disabled".to_owned(),
    }
}

/// The endpoint id of a path, or the page's "no longer exists".
pub(super) fn endpoint_id(raw: &str) -> Result<WebhookEndpointId, AppError> {
    raw.parse()
        .ok()
        .and_then(|id| WebhookEndpointId::new(id).ok())
        .ok_or(AppError::NotFound("webhook endpoint"))
}

/// One subscribable event type, as a checkbox.
struct TypeBox {
    name: &'static str,
    checked: bool,
}

/// The endpoint's settings as the form shows them.
struct Settings {
    url: String,
    description: String,
    enabled: bool,
    types: Vec<TypeBox>,
}

impl Settings {
    fn of(endpoint: &WebhookEndpoint) -> Self {
        Settings {
            url: endpoint.url.as_str().to_owned(),
            description: endpoint
                .description
                .as_ref()
                .map_or_else(String::new, |d| d.as_str().to_owned()),
            enabled: endpoint.enabled,
            types: EventType::subscribable()
                .map(|t| TypeBox {
                    name: t.as_str(),
                    checked: endpoint.event_types.contains(t),
                })
                .collect(),
        }
    }

    /// What was posted, shown back beside its errors.
    fn posted(fields: &Fields) -> Self {
        let chosen: Vec<&str> = fields.all("event_types").collect();
        Settings {
            url: fields.get("url").to_owned(),
            description: fields.get("description").to_owned(),
            enabled: fields.get("enabled") == "on",
            types: EventType::subscribable()
                .map(|t| TypeBox {
                    name: t.as_str(),
                    checked: chosen.contains(&t.as_str()),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "endpoint.html")]
struct EndpointPage {
    chrome: Chrome,
    id: i64,
    url: String,
    state: String,
    events: String,
    created: String,
    form: Settings,
    shown: Shown,
    notice: String,
    can_manage: bool,
    deliveries: String,
}

/// What the page shows after an action.
#[derive(Default)]
pub(super) struct After {
    pub shown: Shown,
    pub notice: String,
    /// The settings as posted, when they were refused.
    form: Option<Settings>,
    /// The deliveries page: after this id (newest first).
    pub deliveries_after: Option<DeliveryId>,
}

impl After {
    /// A page saying what went wrong.
    pub fn failed(error: &AppError) -> Self {
        After {
            shown: plain(error),
            ..After::default()
        }
    }

    /// A page saying what was done.
    pub fn done(notice: impl Into<String>) -> Self {
        After {
            notice: notice.into(),
            ..After::default()
        }
    }
}

pub(super) async fn render(
    state: &ConsoleState,
    signed: &Signed,
    id: WebhookEndpointId,
    after: After,
) -> HttpResponse {
    let caller = &signed.principal;
    let read = futures::try_join!(
        state.app.get_webhook_endpoint(caller, id),
        deliveries::part(state, signed, id, after.deliveries_after),
    );
    let (endpoint, part) = match read {
        Ok(read) => read,
        Err(error) => return error_page(signed, "webhooks", &error),
    };
    let can_manage = state
        .app
        .authorize(caller, &Action::ManageWebhooks)
        .await
        .is_ok();
    let status = if after.shown.general.is_some() || !after.shown.fields.is_empty() {
        after.shown.status()
    } else {
        StatusCode::OK
    };
    html(
        status,
        &EndpointPage {
            chrome: Chrome::signed(signed, "webhooks"),
            id: endpoint.id.get(),
            url: endpoint.url.as_str().to_owned(),
            state: endpoint_state(&endpoint),
            events: event_list(&endpoint.event_types),
            created: super::when(endpoint.created_at),
            form: after.form.unwrap_or_else(|| Settings::of(&endpoint)),
            shown: after.shown,
            notice: after.notice,
            can_manage,
            deliveries: DeliveriesPart::text(&part),
        },
    )
}

async fn show(
    path: web::Path<String>,
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    signed: Signed,
) -> HttpResponse {
    let query = Fields::parse(req.query_string().as_bytes());
    let after = After {
        deliveries_after: deliveries::position(&query),
        ..After::default()
    };
    match endpoint_id(&path) {
        Ok(id) => render(&state, &signed, id, after).await,
        Err(error) => error_page(&signed, "webhooks", &error),
    }
}

/// The change a form asks for; every bad field named.
fn endpoint_change(fields: &Fields) -> Result<EndpointChange, Shown> {
    let mut shown = Shown {
        status: 422,
        ..Shown::default()
    };
    let mut note = |field: &str, message: String| {
        shown.fields.entry(field.to_owned()).or_insert(message);
    };
    let url = WebhookUrl::parse(fields.get("url"))
        .map_err(|e| note("url", sentence(&e.to_string())))
        .ok();
    let text = fields.get("description");
    let description = if text.is_empty() {
        Some(None)
    } else {
        Description::parse(text)
            .map(|d| Some(Some(d)))
            .map_err(|e| note("description", sentence(&e.to_string())))
            .unwrap_or(None)
    };
    let mut types = Vec::new();
    for name in fields.all("event_types") {
        match name.parse::<EventType>() {
            Ok(t) => types.push(t),
            Err(_) => note(
                "event_types",
                format!("“{name}” is not an event type; choose from the list."),
            ),
        }
    }
    let event_types = EventTypes::new(types)
        .map_err(|e| note("event_types", sentence(&e.to_string())))
        .ok();
    match (url, description, event_types) {
        (Some(url), Some(description), Some(event_types)) if shown.fields.is_empty() => {
            Ok(EndpointChange {
                url: Some(url),
                event_types: Some(event_types),
                description: Some(description),
                enabled: Some(fields.get("enabled") == "on"),
            })
        }
        _ => Err(shown),
    }
}

/// The application's refusal, next to the field it concerns.
fn refusal(error: &AppError) -> Shown {
    match error {
        AppError::DestinationNotAllowed(_) => {
            let general = plain(error);
            Shown::on("url", general.general.unwrap_or_default())
        }
        other => plain(other),
    }
}

async fn edit(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match endpoint_id(&path) {
        Ok(id) => id,
        Err(error) => return error_page(&change.signed, "webhooks", &error),
    };
    let outcome = match endpoint_change(&change.fields) {
        Ok(request) => state
            .app
            .update_webhook_endpoint(&change.signed.principal, id, request)
            .await
            .map_err(|e| refusal(&e)),
        Err(shown) => Err(shown),
    };
    let after = match outcome {
        Ok(_) => After::done("Endpoint saved."),
        Err(shown) => After {
            shown,
            form: Some(Settings::posted(&change.fields)),
            ..After::default()
        },
    };
    render(&state, &change.signed, id, after).await
}
