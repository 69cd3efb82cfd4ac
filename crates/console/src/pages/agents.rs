//! Agents: list, create, rename, delete.

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use thunderphone_app::AppError;
use thunderphone_domain::{AgentId, DisplayName};
use thunderphone_ports::{PageLimit, PageRequest};

use super::{Chrome, cursor_text, error_page, html, parse_cursor, see_other};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};
use crate::words::{Shown, plain};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/agents", web::get().to(list))
        .route("/agents", web::post().to(create))
        .route("/agents/{id}/rename", web::post().to(rename))
        .route("/agents/{id}/delete", web::post().to(delete));
}

struct Row {
    id: i64,
    name: String,
}

#[derive(Template)]
#[template(path = "agents.html")]
struct AgentsPage {
    chrome: Chrome,
    shown: Shown,
    agents: Vec<Row>,
    /// The query of the next page, if there is one.
    next: Option<String>,
    /// Whether this is a later page (with a way back to the first).
    paged: bool,
}

/// Agents a page shows: the org can have any number, so they come a page
/// at a time, newest first.
const PER_PAGE: i64 = 100;

async fn render(state: &ConsoleState, signed: &Signed, shown: Shown, after: &str) -> HttpResponse {
    let request = PageRequest {
        limit: PageLimit::new(PER_PAGE).unwrap_or_default(),
        after: parse_cursor(after),
    };
    let read = match state.app.list_agents(&signed.principal, request).await {
        Ok(read) => read,
        Err(error) => return error_page(signed, "agents", &error),
    };
    let status = if shown.general.is_some() || !shown.fields.is_empty() {
        shown.status()
    } else {
        StatusCode::OK
    };
    html(
        status,
        &AgentsPage {
            chrome: Chrome::signed(signed, "agents"),
            shown,
            agents: read
                .items
                .into_iter()
                .map(|a| Row {
                    id: a.id.get(),
                    name: a.name.as_str().to_owned(),
                })
                .collect(),
            next: read.next.map(|next| format!("after={}", cursor_text(next))),
            paged: request.after.is_some(),
        },
    )
}

async fn list(req: HttpRequest, state: web::Data<ConsoleState>, signed: Signed) -> HttpResponse {
    let query = Fields::parse(req.query_string().as_bytes());
    render(&state, &signed, Shown::default(), query.get("after")).await
}

fn name(change: &Change) -> Result<DisplayName, Shown> {
    DisplayName::parse(change.fields.get("name")).map_err(|e| Shown::on("name", format!("{e}.")))
}

fn agent_id(raw: &str) -> Result<AgentId, AppError> {
    raw.parse()
        .ok()
        .and_then(|id| AgentId::new(id).ok())
        .ok_or(AppError::NotFound("agent"))
}

/// Back to the list after a change; the list again with the error if not.
async fn after(state: &ConsoleState, change: &Change, outcome: Result<(), Shown>) -> HttpResponse {
    match outcome {
        Ok(()) => see_other("/console/agents"),
        Err(shown) => render(state, &change.signed, shown, "").await,
    }
}

async fn create(state: web::Data<ConsoleState>, change: Change) -> HttpResponse {
    let outcome = match name(&change) {
        Ok(name) => state
            .app
            .create_agent(&change.signed.principal, name)
            .await
            .map(drop)
            .map_err(|e| plain(&e)),
        Err(shown) => Err(shown),
    };
    after(&state, &change, outcome).await
}

async fn rename(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let outcome = match (agent_id(&path), name(&change)) {
        (Ok(id), Ok(name)) => state
            .app
            .rename_agent(&change.signed.principal, id, name)
            .await
            .map(drop)
            .map_err(|e| plain(&e)),
        (Err(error), _) => Err(plain(&error)),
        (_, Err(shown)) => Err(shown),
    };
    after(&state, &change, outcome).await
}

async fn delete(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let outcome = match agent_id(&path) {
        Ok(id) => state
            .app
            .delete_agent(&change.signed.principal, id)
            .await
            .map_err(|e| plain(&e)),
        Err(error) => Err(plain(&error)),
    };
    after(&state, &change, outcome).await
}
