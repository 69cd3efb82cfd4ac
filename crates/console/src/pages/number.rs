//! One number: every field, its agents, release and reactivate, verify,
//! and its history. Transfer and delete are in `number_leaves`.

use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use thunderphone_app::{AppError, IfMatch, NumberUpdate};
use thunderphone_domain::{
    Actor, AgentId, AgentUpdate, CheckOutcome, PhoneNumber, PhoneNumberId, Principal, Source,
    Status, Version,
};
use thunderphone_ports::{PageLimit, PageRequest};

use super::numbers::StatusBadge;
use super::{Chrome, Names, Opt, error_page, every_agent, html, when};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};
use crate::words::{Shown, plain};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/numbers/{id}", web::get().to(show))
        .route("/numbers/{id}/agents", web::post().to(agents))
        .route("/numbers/{id}/status", web::post().to(set_status))
        .route("/numbers/{id}/verify", web::post().to(verify));
}

struct ShownNumber {
    id: i64,
    number: String,
    status: String,
    status_reason: String,
    source: &'static str,
    inbound: String,
    outbound: String,
    connection: String,
    verification: &'static str,
    last_verified: String,
    version: i64,
    created: String,
    updated: String,
    can_release: bool,
    can_reactivate: bool,
    is_voip: bool,
}

struct Step {
    version: i64,
    change: &'static str,
    who: String,
    when: String,
    status: &'static str,
    inbound: String,
    outbound: String,
    verification: &'static str,
}

#[derive(Template)]
#[template(path = "number.html")]
struct NumberPage {
    chrome: Chrome,
    n: ShownNumber,
    shown: Shown,
    notice: String,
    inbound_options: Vec<Opt>,
    outbound_options: Vec<Opt>,
    checks: Vec<CheckOutcome>,
    history: Vec<Step>,
    /// The query of the next, older page of history.
    older: Option<String>,
    /// Whether this is a later page of history (with a way back).
    paged: bool,
}

pub(super) fn number_id(raw: &str) -> Option<PhoneNumberId> {
    raw.parse().ok().and_then(|id| PhoneNumberId::new(id).ok())
}

/// The number a change's path names, or the page saying there is none
/// (what the API answers for an id that cannot exist: a 404).
pub(super) fn number_in_path(raw: &str, signed: &Signed) -> Result<PhoneNumberId, HttpResponse> {
    number_id(raw).ok_or_else(|| error_page(signed, "numbers", &AppError::NotFound("phone number")))
}

fn agent_options(names: &[(AgentId, String)], chosen: Option<AgentId>) -> Vec<Opt> {
    names
        .iter()
        .map(|(id, name)| Opt {
            value: id.to_string(),
            label: name.clone(),
            selected: Some(*id) == chosen,
        })
        .collect()
}

/// What the page shows after an action: a notice, an error, checks.
#[derive(Default)]
pub(super) struct After {
    pub shown: Shown,
    pub notice: String,
    pub checks: Vec<CheckOutcome>,
    /// The history page to show: after this version (newest first).
    pub history_after: Option<Version>,
}

pub(super) async fn render(
    state: &ConsoleState,
    signed: &Signed,
    id: PhoneNumberId,
    after: After,
) -> HttpResponse {
    let caller = &signed.principal;
    let history = PageRequest {
        limit: PageLimit::default(),
        after: after.history_after,
    };
    let read = futures::try_join!(
        state.app.get_number(caller, id),
        every_agent(&state.app, caller),
        state.app.list_versions(caller, id, history),
    );
    let (number, names, versions) = match read {
        Ok(read) => read,
        Err(error) => return error_page(signed, "numbers", &error),
    };
    let lookup = Names::new(&names);
    let steps = versions
        .items
        .iter()
        .map(|v| Step {
            version: v.version.get(),
            change: v.change.as_str(),
            who: actor_label(v.changed_by, caller),
            when: when(v.created_at),
            status: v.status.as_str(),
            inbound: lookup.of(v.inbound_agent_id),
            outbound: lookup.of(v.outbound_agent_id),
            verification: v.voip_verification_status.as_str(),
        })
        .collect();
    let status = if after.shown.general.is_some() || !after.shown.fields.is_empty() {
        after.shown.status()
    } else {
        StatusCode::OK
    };
    html(
        status,
        &NumberPage {
            chrome: Chrome::signed(signed, "numbers"),
            inbound_options: agent_options(&names, number.inbound_agent_id()),
            outbound_options: agent_options(&names, number.outbound_agent_id()),
            n: shown_number(&number, &lookup),
            shown: after.shown,
            notice: after.notice,
            checks: after.checks,
            history: steps,
            older: versions.next.map(|v| format!("history_after={}", v.get())),
            paged: after.history_after.is_some(),
        },
    )
}

fn shown_number(number: &PhoneNumber, names: &Names) -> ShownNumber {
    ShownNumber {
        id: number.id().get(),
        number: number.number().as_str().to_owned(),
        status: StatusBadge::of(number),
        status_reason: number.status_reason().unwrap_or("—").to_owned(),
        source: number.source().as_str(),
        inbound: names.of(number.inbound_agent_id()),
        outbound: names.of(number.outbound_agent_id()),
        connection: number
            .voip_connection_id()
            .map_or_else(|| "—".to_owned(), |c| format!("#{c}")),
        verification: number.voip_verification_status().as_str(),
        last_verified: number
            .voip_last_verified_at()
            .map_or_else(|| "never".to_owned(), when),
        version: number.version().get(),
        created: when(number.created_at()),
        updated: when(number.updated_at()),
        can_release: number.status() == Status::Active,
        can_reactivate: number.status() == Status::Released,
        is_voip: number.source() == Source::Voip,
    }
}

/// Who made a change, as readable as the session allows: the caller's own
/// key and user are "you"; others are named by their user and key ids,
/// which the operator's lists resolve (API keys have no names).
fn actor_label(actor: Option<Actor>, caller: &Principal) -> String {
    match actor {
        None => "the system".to_owned(),
        Some(a) if a.api_key_id == caller.api_key_id => {
            format!("you (this API key, #{})", a.api_key_id)
        }
        Some(a) if a.user_id == caller.user_id => format!("you (API key #{})", a.api_key_id),
        Some(a) => format!("user #{} (API key #{})", a.user_id, a.api_key_id),
    }
}

async fn show(
    path: web::Path<String>,
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    signed: Signed,
) -> HttpResponse {
    let query = Fields::parse(req.query_string().as_bytes());
    let after = After {
        history_after: query
            .get("history_after")
            .parse()
            .ok()
            .and_then(Version::new),
        ..After::default()
    };
    match number_id(&path) {
        Some(id) => render(&state, &signed, id, after).await,
        None => error_page(&signed, "numbers", &AppError::NotFound("phone number")),
    }
}

/// The version the page was opened at, so a change made meanwhile is a
/// 412 rather than silently overwritten.
pub(super) fn opened_at(fields: &Fields) -> Option<IfMatch> {
    let version = fields.get("version").parse().ok().and_then(Version::new)?;
    Some(IfMatch::Versions(vec![version]))
}

/// An agent select's value: `""` for none.
fn agent_field(fields: &Fields, name: &str) -> Result<Option<AgentId>, Shown> {
    let raw = fields.get(name);
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .ok()
        .and_then(|id| AgentId::new(id).ok())
        .map(Some)
        .ok_or_else(|| Shown::on(name, "Choose an agent from the list."))
}

async fn update(
    state: &ConsoleState,
    change: &Change,
    id: PhoneNumberId,
    update: NumberUpdate,
    notice: &str,
) -> HttpResponse {
    let outcome = state
        .app
        .update_number(
            &change.signed.principal,
            id,
            update,
            opened_at(&change.fields),
        )
        .await;
    let after = match outcome {
        Ok(_) => After {
            notice: notice.to_owned(),
            ..After::default()
        },
        Err(error) => After {
            shown: plain(&error),
            ..After::default()
        },
    };
    render(state, &change.signed, id, after).await
}

async fn agents(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match number_in_path(&path, &change.signed) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let chosen = agent_field(&change.fields, "inbound_agent_id")
        .and_then(|inbound| Ok((inbound, agent_field(&change.fields, "outbound_agent_id")?)));
    let (inbound, outbound) = match chosen {
        Ok(chosen) => chosen,
        Err(shown) => {
            let after = After {
                shown,
                ..After::default()
            };
            return render(&state, &change.signed, id, after).await;
        }
    };
    let request = NumberUpdate {
        agents: AgentUpdate {
            inbound: Some(inbound),
            outbound: Some(outbound),
        },
        status: None,
    };
    update(&state, &change, id, request, "Agents saved.").await
}

async fn set_status(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match number_in_path(&path, &change.signed) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let (status, notice) = match change.fields.get("status") {
        "released" => (Status::Released, "Number released."),
        "active" => (Status::Active, "Number reactivated."),
        _ => {
            let after = After {
                shown: Shown::on("status", "Choose release or reactivate."),
                ..After::default()
            };
            return render(&state, &change.signed, id, after).await;
        }
    };
    let request = NumberUpdate {
        agents: AgentUpdate::default(),
        status: Some(status),
    };
    update(&state, &change, id, request, notice).await
}

async fn verify(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match number_in_path(&path, &change.signed) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let after = match state.app.verify_number(&change.signed.principal, id).await {
        Ok(verified) => After {
            notice: if verified.verification.passed {
                "Every check passed.".to_owned()
            } else {
                "Some checks failed; see below.".to_owned()
            },
            checks: verified.verification.checks,
            ..After::default()
        },
        Err(error) => After {
            shown: plain(&error),
            ..After::default()
        },
    };
    render(&state, &change.signed, id, after).await
}
