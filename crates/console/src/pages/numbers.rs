//! The Numbers page: the org's numbers with filters and pages, and
//! provisioning, whose new number's status polls until it settles.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use thunderphone_app::{ProvisionRequest, Provisioned};
use thunderphone_domain::{AreaCode, City, PhoneNumber, PhoneNumberId, Source, Status, UsState};
use thunderphone_ports::{ListCursor, NumberFilter, PageLimit, PageRequest};

use super::{Chrome, Opt, cursor_text, error_page, html, names_of, parse_cursor};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};
use crate::words::Shown;

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/numbers", web::get().to(list))
        .route("/numbers", web::post().to(provision))
        .route("/numbers/{id}/status", web::get().to(status));
}

/// A number's status; polls while it is `provisioning`.
#[derive(Template)]
#[template(path = "status.html")]
pub(crate) struct StatusBadge {
    pub id: i64,
    pub status: &'static str,
    pub polling: bool,
}

impl StatusBadge {
    pub fn of(number: &PhoneNumber) -> String {
        let badge = StatusBadge {
            id: number.id().get(),
            status: number.status().as_str(),
            polling: number.status() == Status::Provisioning,
        };
        badge.render().unwrap_or_else(|_| badge.status.to_owned())
    }
}

pub(crate) struct Row {
    id: i64,
    number: String,
    status: String,
    inbound: String,
    outbound: String,
    source: &'static str,
    verification: &'static str,
}

#[derive(Default)]
struct ProvisionForm {
    area_code: String,
    city: String,
    state: String,
}

struct NewNumber {
    id: i64,
    number: String,
    matched_on: &'static str,
    status: String,
}

#[derive(Default)]
struct FilterForm {
    area_code: String,
}

#[derive(Template)]
#[template(path = "numbers.html")]
struct NumbersPage {
    chrome: Chrome,
    shown: Shown,
    form: ProvisionForm,
    provisioned: Option<NewNumber>,
    filter: FilterForm,
    filter_error: String,
    status_options: Vec<Opt>,
    source_options: Vec<Opt>,
    rows: Vec<Row>,
    next: Option<String>,
    previous: Option<String>,
}

fn options(all: &[&'static str], chosen: &str) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            value: (*v).to_owned(),
            label: (*v).to_owned(),
            selected: *v == chosen,
        })
        .collect()
}

/// Filters and page position from the query string; a bad value is
/// named, and the list is shown unfiltered by it.
fn parse_query(query: &Fields) -> (NumberFilter, Option<ListCursor>, String) {
    let mut filter = NumberFilter::default();
    let mut errors = Vec::new();
    let status = query.get("status");
    if !status.is_empty() {
        match Status::from_str(status) {
            Ok(s) => filter.status = Some(s),
            Err(e) => errors.push(format!("Status: {e}.")),
        }
    }
    let source = query.get("source");
    if !source.is_empty() {
        match Source::from_str(source) {
            Ok(s) => filter.source = Some(s),
            Err(e) => errors.push(format!("Source: {e}.")),
        }
    }
    let area = query.get("area_code");
    if !area.is_empty() {
        match AreaCode::parse(area) {
            Ok(a) => filter.area_code = Some(a),
            Err(e) => errors.push(format!("Area code: {e}.")),
        }
    }
    let after = parse_cursor(query.get("after"));
    (filter, after, errors.join(" "))
}

/// Keyset pages go forward only, so the way back travels in the link:
/// `back` lists the positions of the pages before this one (`-` is the
/// first page), at most [`MAX_BACK`] of them.
const MAX_BACK: usize = 50;

/// The query string of a list page at `after` with `back` behind it,
/// keeping the filters.
fn page_query(query: &Fields, after: &str, back: &[&str]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for name in ["status", "source", "area_code"] {
        let value = query.get(name);
        if !value.is_empty() {
            out.append_pair(name, value);
        }
    }
    if !after.is_empty() && after != "-" {
        out.append_pair("after", after);
    }
    if !back.is_empty() {
        out.append_pair("back", &back.join(","));
    }
    out.finish()
}

/// Links to the next and the previous page.
fn page_links(query: &Fields, next: Option<ListCursor>) -> (Option<String>, Option<String>) {
    let back: Vec<&str> = query
        .get("back")
        .split(',')
        .filter(|b| !b.is_empty())
        .collect();
    let here = match query.get("after") {
        "" => "-",
        after => after,
    };
    let next = next.map(|next| {
        let mut behind = back.clone();
        behind.push(here);
        let skip = behind.len().saturating_sub(MAX_BACK);
        let position = cursor_text(next);
        page_query(query, &position, &behind[skip..])
    });
    let previous = back
        .split_last()
        .map(|(last, rest)| page_query(query, last, rest));
    (next, previous)
}

async fn page(
    state: &ConsoleState,
    signed: &Signed,
    query: &Fields,
    form: ProvisionForm,
    shown: Shown,
    provisioned: Option<&Provisioned>,
) -> HttpResponse {
    let (filter, after, filter_error) = parse_query(query);
    let caller = &signed.principal;
    let request = PageRequest {
        limit: PageLimit::default(),
        after,
    };
    let listed = match state.app.list_numbers(caller, filter, request).await {
        Ok(listed) => listed,
        Err(error) => return error_page(signed, "numbers", &error),
    };
    let shown_agents = listed
        .items
        .iter()
        .flat_map(|n| [n.inbound_agent_id(), n.outbound_agent_id()]);
    let names = match names_of(&state.app, caller, shown_agents).await {
        Ok(names) => names,
        Err(error) => return error_page(signed, "numbers", &error),
    };
    let rows = listed
        .items
        .iter()
        .map(|n| Row {
            id: n.id().get(),
            number: n.number().as_str().to_owned(),
            status: StatusBadge::of(n),
            inbound: names.of(n.inbound_agent_id()),
            outbound: names.of(n.outbound_agent_id()),
            source: n.source().as_str(),
            verification: n.voip_verification_status().as_str(),
        })
        .collect();
    let statuses: Vec<&'static str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let sources: Vec<&'static str> = Source::ALL.iter().map(|s| s.as_str()).collect();
    let status = if shown.general.is_some() || !shown.fields.is_empty() {
        shown.status()
    } else {
        StatusCode::OK
    };
    let (next, previous) = page_links(query, listed.next);
    html(
        status,
        &NumbersPage {
            chrome: Chrome::signed(signed, "numbers"),
            status_options: options(&statuses, query.get("status")),
            source_options: options(&sources, query.get("source")),
            filter: FilterForm {
                area_code: query.get("area_code").to_owned(),
            },
            filter_error,
            shown,
            form,
            provisioned: provisioned.map(|p| NewNumber {
                id: p.number.id().get(),
                number: p.number.number().as_str().to_owned(),
                matched_on: p.matched_on.as_str(),
                status: StatusBadge::of(&p.number),
            }),
            rows,
            next,
            previous,
        },
    )
}

async fn list(req: HttpRequest, state: web::Data<ConsoleState>, signed: Signed) -> HttpResponse {
    let query = Fields::parse(req.query_string().as_bytes());
    page(
        &state,
        &signed,
        &query,
        ProvisionForm::default(),
        Shown::default(),
        None,
    )
    .await
}

/// The form's preferences, or the errors of each bad field.
fn provision_request(fields: &Fields) -> Result<ProvisionRequest, Shown> {
    let mut shown = Shown::default();
    let mut request = ProvisionRequest::default();
    let area = fields.get("area_code");
    if !area.is_empty() {
        match AreaCode::parse(area) {
            Ok(a) => request.area_code = Some(a),
            Err(e) => {
                shown.fields.insert("area_code".into(), format!("{e}."));
            }
        }
    }
    let city = fields.get("city");
    if !city.is_empty() {
        match City::parse(city) {
            Ok(c) => request.city = Some(c),
            Err(e) => {
                shown.fields.insert("city".into(), format!("{e}."));
            }
        }
    }
    let us_state = fields.get("state");
    if !us_state.is_empty() {
        match UsState::parse(us_state) {
            Ok(s) => request.state = Some(s),
            Err(e) => {
                shown.fields.insert("state".into(), format!("{e}."));
            }
        }
    }
    if shown.fields.is_empty() {
        Ok(request)
    } else {
        shown.status = 422;
        Err(shown)
    }
}

async fn provision(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let query = Fields::parse(req.query_string().as_bytes());
    let fields = &change.fields;
    let form = ProvisionForm {
        area_code: fields.get("area_code").to_owned(),
        city: fields.get("city").to_owned(),
        state: fields.get("state").to_owned(),
    };
    let outcome = match provision_request(fields) {
        Ok(request) => state
            .app
            .provision(&change.signed.principal, request)
            .await
            .map_err(|e| crate::words::plain(&e)),
        Err(shown) => Err(shown),
    };
    match outcome {
        Ok(provisioned) => {
            page(
                &state,
                &change.signed,
                &query,
                ProvisionForm::default(),
                Shown::default(),
                Some(&provisioned),
            )
            .await
        }
        Err(shown) => page(&state, &change.signed, &query, form, shown, None).await,
    }
}

/// The status badge alone, for polling.
async fn status(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    signed: Signed,
) -> HttpResponse {
    let Some(id) = path
        .parse()
        .ok()
        .and_then(|raw| PhoneNumberId::new(raw).ok())
    else {
        return super::message_page(StatusCode::NOT_FOUND, "No such number.");
    };
    match state.app.get_number(&signed.principal, id).await {
        Ok(number) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(StatusBadge::of(&number)),
        Err(error) => error_page(&signed, "numbers", &error),
    }
}
