//! The events list.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use thunderphone_ports::{EventFilter, PageLimit, PageRequest};

use super::{Chrome, error_page, html, when};
use crate::ConsoleState;
use crate::guard::Signed;

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/events", web::get().to(events));
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
    rows: Vec<Vec<String>>,
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
            vec![
                when(e.created_at),
                e.kind.as_str().to_owned(),
                e.phone_number_id()
                    .map_or_else(|| "—".to_owned(), |id| format!("#{id}")),
                e.id.to_string(),
            ]
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
        },
    )
}
