//! The pages. Handlers only translate: form → use case → page; what a
//! role may do is decided by the application, as for the API.

mod agents;
mod connections;
mod deliveries;
mod endpoint;
mod lists;
mod number;
mod number_leaves;
mod numbers;
mod sign_in;
mod webhooks;

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, Responder};
use askama::Template;
use thunderphone_app::{App, AppError, Principal};
use thunderphone_domain::{AgentId, Timestamp};
use thunderphone_ports::{ListCursor, PageLimit, PageRequest};

use crate::assets::{CSS_PATH, HTMX_PATH, JS_PATH};
use crate::guard::Signed;

/// Only our own origin, no inline script, no framing: the pages can load
/// nothing from elsewhere and cannot be embedded.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home));
    sign_in::routes(cfg);
    numbers::routes(cfg);
    number::routes(cfg);
    number_leaves::routes(cfg);
    agents::routes(cfg);
    connections::routes(cfg);
    lists::routes(cfg);
    webhooks::routes(cfg);
    endpoint::routes(cfg);
}

async fn home() -> impl Responder {
    see_other("/console/numbers")
}

/// A redirect after a change (so reloading does not repeat it).
pub(crate) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The signed-in part of every page's frame.
#[derive(Debug, Clone)]
pub(crate) struct Nav {
    pub csrf: String,
    pub current: &'static str,
    pub role: &'static str,
    pub org: i64,
}

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub css: &'static str,
    pub htmx: &'static str,
    pub js: &'static str,
    pub nav: Option<Nav>,
}

impl Chrome {
    /// The frame of a page for a signed-in caller; `current` names the
    /// navigation entry to mark.
    pub fn signed(signed: &Signed, current: &'static str) -> Self {
        Chrome {
            css: CSS_PATH,
            htmx: HTMX_PATH,
            js: JS_PATH,
            nav: Some(Nav {
                csrf: signed.csrf.clone(),
                current,
                role: signed.principal.role.as_str(),
                org: signed.principal.org_id.get(),
            }),
        }
    }

    /// The frame of a page seen before signing in.
    pub fn anonymous() -> Self {
        Chrome {
            css: CSS_PATH,
            htmx: HTMX_PATH,
            js: JS_PATH,
            nav: None,
        }
    }

    /// The token for the page's forms.
    pub fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |nav| nav.csrf.as_str())
    }
}

/// Answers with a rendered page.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Referrer-Policy", "same-origin"))
            .body(body),
        Err(error) => {
            tracing::error!(%error, "cannot render a console page");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("the page could not be rendered; it has been logged")
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    chrome: Chrome,
    heading: &'a str,
    text: &'a str,
}

/// A page saying one thing (refusals, errors).
pub(crate) fn message_page(status: StatusCode, text: &str) -> HttpResponse {
    let heading = match status.as_u16() {
        403 => "Refused",
        404 => "Not found",
        s if s >= 500 => "Something went wrong",
        _ => "Cannot do that",
    };
    html(
        status,
        &Message {
            chrome: Chrome::anonymous(),
            heading,
            text,
        },
    )
}

/// A page saying what went wrong for a signed-in caller.
pub(crate) fn error_page(signed: &Signed, current: &'static str, error: &AppError) -> HttpResponse {
    let shown = crate::words::plain(error);
    let text = shown
        .general
        .clone()
        .or_else(|| shown.fields.values().next().cloned())
        .unwrap_or_default();
    html(
        shown.status(),
        &Message {
            chrome: Chrome::signed(signed, current),
            heading: "Cannot do that",
            text: &text,
        },
    )
}

/// How times are shown.
pub(crate) fn when(at: Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A list position in a link: `micros.id` of the last item seen.
pub(crate) fn cursor_text(at: ListCursor) -> String {
    format!("{}.{}", at.created_at.timestamp_micros(), at.id)
}

/// Reads [`cursor_text`] back; `None` for anything else.
pub(crate) fn parse_cursor(text: &str) -> Option<ListCursor> {
    let (micros, id) = text.split_once('.')?;
    Some(ListCursor {
        created_at: chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id: id.parse().ok()?,
    })
}

/// Every agent of the org, newest first, for choosing one by name: read
/// a full page at a time until the last.
pub(crate) async fn every_agent(
    app: &App,
    caller: &Principal,
) -> Result<Vec<(AgentId, String)>, AppError> {
    let limit = PageLimit::new(i64::from(PageLimit::MAX)).unwrap_or_default();
    let mut page = PageRequest::first(limit);
    let mut names = Vec::new();
    loop {
        let read = app.list_agents(caller, page).await?;
        names.extend(
            read.items
                .into_iter()
                .map(|a| (a.id, a.name.as_str().to_owned())),
        );
        match read.next {
            Some(next) => page.after = Some(next),
            None => return Ok(names),
        }
    }
}

/// The names of just the agents a page shows.
pub(crate) async fn names_of(
    app: &App,
    caller: &Principal,
    ids: impl IntoIterator<Item = Option<AgentId>>,
) -> Result<Names, AppError> {
    let found = app.agent_names(caller, ids.into_iter().flatten()).await?;
    Ok(Names(
        found
            .into_iter()
            .map(|(id, name)| (id, name.as_str().to_owned()))
            .collect(),
    ))
}

/// Looks names up by id.
pub(crate) struct Names(HashMap<AgentId, String>);

impl Names {
    pub fn new(names: &[(AgentId, String)]) -> Self {
        Names(names.iter().cloned().collect())
    }

    /// The agent's name, `—` for none, `#id` when unknown.
    pub fn of(&self, id: Option<AgentId>) -> String {
        match id {
            None => "—".to_owned(),
            Some(id) => self.0.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
        }
    }
}

/// A select option.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
