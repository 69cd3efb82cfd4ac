//! Lists: events, and VoIP connections (with delete, admin+).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use thunderphone_ports::{EventFilter, PageLimit, PageRequest};

use super::{Chrome, error_page, html, see_other, when};
use crate::ConsoleState;
use crate::guard::{Change, Signed};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/events", web::get().to(events))
        .route("/voip-connections", web::get().to(connections))
        .route(
            "/voip-connections/{id}/delete",
            web::post().to(delete_connection),
        );
}

#[derive(Template)]
#[template(path = "table.html")]
struct TablePage {
    chrome: Chrome,
    heading: &'static str,
    intro: &'static str,
    caption: &'static str,
    empty: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Line>,
    /// Where each row's delete form posts (`{base}/{id}/delete`); `""`
    /// for none.
    delete_base: &'static str,
}

/// One row: its cells, and the id and name its delete button acts on.
struct Line {
    cells: Vec<String>,
    id: i64,
    label: String,
}

impl Line {
    fn plain(cells: Vec<String>) -> Self {
        Line {
            cells,
            id: 0,
            label: String::new(),
        }
    }
}

fn first_page<C>() -> PageRequest<C> {
    PageRequest::first(PageLimit::new(100).unwrap_or_default())
}

async fn events(state: web::Data<ConsoleState>, signed: Signed) -> HttpResponse {
    let read = state
        .app
        .list_events(&signed.principal, &EventFilter::default(), first_page())
        .await;
    let page = match read {
        Ok(page) => page,
        Err(error) => return error_page(&signed, "events", &error),
    };
    let rows = page
        .items
        .iter()
        .map(|e| {
            Line::plain(vec![
                when(e.created_at),
                e.kind.as_str().to_owned(),
                e.phone_number_id()
                    .map_or_else(|| "—".to_owned(), |id| format!("#{id}")),
                e.id.to_string(),
            ])
        })
        .collect();
    html(
        StatusCode::OK,
        &TablePage {
            chrome: Chrome::signed(&signed, "events"),
            heading: "Events",
            intro: "The latest changes in your organisation, newest first.",
            caption: "Recent events",
            empty: "No events yet.",
            columns: vec!["When", "Type", "Number", "Event id"],
            rows,
            delete_base: "",
        },
    )
}

async fn connections(state: web::Data<ConsoleState>, signed: Signed) -> HttpResponse {
    let page = match state
        .app
        .list_connections(&signed.principal, first_page())
        .await
    {
        Ok(page) => page,
        Err(error) => return error_page(&signed, "connections", &error),
    };
    let rows = page
        .items
        .iter()
        .map(|c| Line {
            id: c.id.get(),
            label: c.name.as_str().to_owned(),
            cells: vec![
                c.name.as_str().to_owned(),
                c.provider.as_str().to_owned(),
                c.termination_uri
                    .as_ref()
                    .map_or_else(|| "—".to_owned(), |u| u.as_str().to_owned()),
                when(c.created_at),
            ],
        })
        .collect();
    html(
        StatusCode::OK,
        &TablePage {
            chrome: Chrome::signed(&signed, "connections"),
            heading: "VoIP connections",
            intro: "",
            caption: "VoIP connections, newest first",
            empty: "No VoIP connections.",
            columns: vec!["Name", "Provider", "Termination URI", "Created"],
            rows,
            delete_base: "/console/voip-connections",
        },
    )
}

/// Deletes a connection (admin+, decided by the application).
async fn delete_connection(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = path
        .parse()
        .ok()
        .and_then(|id| thunderphone_domain::VoipConnectionId::new(id).ok());
    let outcome = match id {
        Some(id) => {
            state
                .app
                .delete_connection(&change.signed.principal, id)
                .await
        }
        None => Err(thunderphone_app::AppError::NotFound("VoIP connection")),
    };
    match outcome {
        Ok(()) => see_other("/console/voip-connections"),
        Err(error) => error_page(&change.signed, "connections", &error),
    }
}
