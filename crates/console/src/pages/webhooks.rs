//! Webhook endpoints: the list, and creating one, whose signing secret is
//! shown on that one answer (never stored here, never logged) with a copy
//! button. One endpoint's page is in `endpoint`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use thunderphone_app::{Action, NewEndpointRequest};
use thunderphone_domain::{Description, EventTypes, WebhookUrl};
use thunderphone_ports::{PageLimit, PageRequest};

use super::{Chrome, error_page, html};
use crate::ConsoleState;
use crate::guard::{Change, Signed};
use crate::words::{Shown, plain};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/webhooks", web::get().to(list))
        .route("/webhooks", web::post().to(create));
}

struct Created {
    url: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    shown: Shown,
    created: Option<Created>,
    form_url: String,
    form_description: String,
    rows: Vec<Row>,
    /// Whether the caller's role may create endpoints (the form shows).
    can_manage: bool,
}

struct Row {
    id: i64,
    url: String,
    events: String,
    state: String,
    description: String,
}

async fn render(
    state: &ConsoleState,
    signed: &Signed,
    shown: Shown,
    created: Option<Created>,
    form: (String, String),
) -> HttpResponse {
    let first = PageRequest::first(PageLimit::new(100).unwrap_or_default());
    let page = match state
        .app
        .list_webhook_endpoints(&signed.principal, first)
        .await
    {
        Ok(page) => page,
        Err(error) => return error_page(signed, "webhooks", &error),
    };
    let rows = page
        .items
        .iter()
        .map(|w| Row {
            id: w.id.get(),
            url: w.url.as_str().to_owned(),
            events: super::endpoint::event_list(&w.event_types),
            state: super::endpoint::endpoint_state(w),
            description: w
                .description
                .as_ref()
                .map_or_else(String::new, |d| d.as_str().to_owned()),
        })
        .collect();
    let can_manage = state
        .app
        .authorize(&signed.principal, &Action::ManageWebhooks)
        .await
        .is_ok();
    let status = if shown.general.is_some() || !shown.fields.is_empty() {
        shown.status()
    } else if created.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    html(
        status,
        &WebhooksPage {
            chrome: Chrome::signed(signed, "webhooks"),
            shown,
            created,
            form_url: form.0,
            form_description: form.1,
            rows,
            can_manage,
        },
    )
}

async fn list(state: web::Data<ConsoleState>, signed: Signed) -> HttpResponse {
    render(&state, &signed, Shown::default(), None, Default::default()).await
}

fn request(change: &Change) -> Result<NewEndpointRequest, Shown> {
    let mut shown = Shown::default();
    let url = WebhookUrl::parse(change.fields.get("url"))
        .map_err(|e| shown.fields.insert("url".into(), format!("{e}.")))
        .ok();
    let text = change.fields.get("description");
    let description = if text.is_empty() {
        None
    } else {
        Description::parse(text)
            .map_err(|e| shown.fields.insert("description".into(), format!("{e}.")))
            .ok()
    };
    match url {
        Some(url) if shown.fields.is_empty() => Ok(NewEndpointRequest {
            url,
            event_types: EventTypes::all(),
            description,
        }),
        _ => {
            shown.status = 422;
            Err(shown)
        }
    }
}

async fn create(state: web::Data<ConsoleState>, change: Change) -> HttpResponse {
    let form = (
        change.fields.get("url").to_owned(),
        change.fields.get("description").to_owned(),
    );
    let outcome = match request(&change) {
        Ok(request) => state
            .app
            .create_webhook_endpoint(&change.signed.principal, request)
            .await
            .map_err(|e| plain(&e)),
        Err(shown) => Err(shown),
    };
    match outcome {
        Ok(created) => {
            let created = Created {
                url: created.endpoint.url.as_str().to_owned(),
                secret: created.secret,
            };
            render(
                &state,
                &change.signed,
                Shown::default(),
                Some(created),
                Default::default(),
            )
            .await
        }
        Err(shown) => render(&state, &change.signed, shown, None, form).await,
    }
}
