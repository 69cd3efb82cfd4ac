//! VoIP connections: list, create (admin+; credentials sealed on the
//! server, never shown again), import numbers through one, delete
//! (admin+). Who may is decided by the application.

use std::str::FromStr;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use thunderphone_app::{Action, AppError, ImportRequest, NewConnectionRequest};
use thunderphone_domain::{
    DisplayName, Secret, SipPassword, SipUri, SipUsername, TwilioAccountSid, VoipConnectionId,
    VoipCredentials, VoipProvider,
};
use thunderphone_ports::{PageLimit, PageRequest};

use super::{Chrome, Opt, error_page, html, see_other, when};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};
use crate::words::{Shown, plain};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/voip-connections", web::get().to(list))
        .route("/voip-connections", web::post().to(create))
        .route("/voip-connections/import", web::post().to(import))
        .route("/voip-connections/{id}/delete", web::post().to(delete));
}

struct Row {
    id: i64,
    name: String,
    provider: &'static str,
    uri: String,
    created: String,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    chrome: Chrome,
    shown: Shown,
    notice: String,
    connections: Vec<Row>,
    providers: Vec<Opt>,
    form_name: String,
    form_uri: String,
    import_numbers: String,
    import_errors: Vec<String>,
    /// Whether the caller's role may create and delete connections.
    can_manage: bool,
}

/// What the page shows after an action.
#[derive(Default)]
struct After {
    shown: Shown,
    notice: String,
    /// The create form's non-secret fields, kept on an error.
    form: (String, String, String),
    import_numbers: String,
    import_errors: Vec<String>,
}

async fn render(state: &ConsoleState, signed: &Signed, after: After) -> HttpResponse {
    let first = PageRequest::first(PageLimit::new(200).unwrap_or_default());
    let page = match state.app.list_connections(&signed.principal, first).await {
        Ok(page) => page,
        Err(error) => return error_page(signed, "connections", &error),
    };
    let can_manage = state
        .app
        .authorize(&signed.principal, &Action::CreateConnection)
        .await
        .is_ok();
    let failed = after.shown.general.is_some()
        || !after.shown.fields.is_empty()
        || !after.import_errors.is_empty();
    let status = if failed {
        after.shown.status()
    } else {
        StatusCode::OK
    };
    html(
        status,
        &ConnectionsPage {
            chrome: Chrome::signed(signed, "connections"),
            can_manage,
            connections: page
                .items
                .iter()
                .map(|c| Row {
                    id: c.id.get(),
                    name: c.name.as_str().to_owned(),
                    provider: c.provider.as_str(),
                    uri: c
                        .termination_uri
                        .as_ref()
                        .map_or_else(|| "—".to_owned(), |u| u.as_str().to_owned()),
                    created: when(c.created_at),
                })
                .collect(),
            providers: VoipProvider::ALL
                .iter()
                .map(|p| Opt {
                    value: p.as_str().to_owned(),
                    label: p.as_str().to_owned(),
                    selected: p.as_str() == after.form.1,
                })
                .collect(),
            form_name: after.form.0,
            form_uri: after.form.2,
            shown: after.shown,
            notice: after.notice,
            import_numbers: after.import_numbers,
            import_errors: after.import_errors,
        },
    )
}

async fn list(state: web::Data<ConsoleState>, signed: Signed) -> HttpResponse {
    render(&state, &signed, After::default()).await
}

/// Parses `field` with `parse`, noting its error on the form.
fn parsed<T, E: std::fmt::Display>(
    shown: &mut Shown,
    fields: &Fields,
    field: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    parse(fields.get(field))
        .map_err(|e| shown.fields.insert(field.to_owned(), format!("{e}.")))
        .ok()
}

fn optional<T, E: std::fmt::Display>(
    shown: &mut Shown,
    fields: &Fields,
    field: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    if fields.get(field).is_empty() {
        None
    } else {
        parsed(shown, fields, field, parse)
    }
}

/// The form as a request; only the chosen provider's fields are read.
fn connection_request(fields: &Fields) -> Result<NewConnectionRequest, Shown> {
    let mut shown = Shown::default();
    let name = parsed(&mut shown, fields, "name", DisplayName::parse);
    let provider = VoipProvider::from_str(fields.get("provider")).unwrap_or(VoipProvider::Sip);
    let credentials = match provider {
        VoipProvider::Twilio => {
            let sid = parsed(&mut shown, fields, "account_sid", TwilioAccountSid::parse);
            let token = parsed(&mut shown, fields, "auth_token", Secret::parse);
            sid.zip(token)
                .map(|(account_sid, auth_token)| VoipCredentials::Twilio {
                    account_sid,
                    auth_token,
                })
        }
        VoipProvider::Telnyx => parsed(&mut shown, fields, "api_key", Secret::parse)
            .map(|api_key| VoipCredentials::Telnyx { api_key }),
        VoipProvider::Sip => {
            if fields.get("username").is_empty() != fields.get("password").is_empty() {
                shown.fields.insert(
                    "password".into(),
                    "Give both a username and a password, or neither.".into(),
                );
            }
            Some(VoipCredentials::Sip {
                username: optional(&mut shown, fields, "username", SipUsername::parse),
                password: optional(&mut shown, fields, "password", SipPassword::parse),
            })
        }
    };
    let termination_uri = if provider == VoipProvider::Sip {
        optional(&mut shown, fields, "termination_uri", SipUri::parse)
    } else {
        None
    };
    match (name, credentials) {
        (Some(name), Some(credentials)) if shown.fields.is_empty() => Ok(NewConnectionRequest {
            name,
            termination_uri,
            credentials,
        }),
        _ => {
            shown.status = 422;
            Err(shown)
        }
    }
}

async fn create(state: web::Data<ConsoleState>, change: Change) -> HttpResponse {
    let fields = &change.fields;
    let outcome = match connection_request(fields) {
        Ok(request) => state
            .app
            .create_connection(&change.signed.principal, request)
            .await
            .map_err(|e| plain(&e)),
        Err(shown) => Err(shown),
    };
    let after = match outcome {
        Ok(created) => After {
            notice: format!("Connection {} created.", created.name.as_str()),
            ..After::default()
        },
        Err(shown) => After {
            shown,
            form: (
                fields.get("name").to_owned(),
                fields.get("provider").to_owned(),
                fields.get("termination_uri").to_owned(),
            ),
            ..After::default()
        },
    };
    render(&state, &change.signed, after).await
}

async fn import(state: web::Data<ConsoleState>, change: Change) -> HttpResponse {
    let fields = &change.fields;
    let numbers: Vec<String> = fields
        .get("numbers")
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    let connection = fields
        .get("connection_id")
        .parse()
        .ok()
        .and_then(|id| VoipConnectionId::new(id).ok());
    let outcome = match connection {
        Some(id) => {
            state
                .app
                .import_numbers(
                    &change.signed.principal,
                    id,
                    ImportRequest {
                        numbers: numbers.clone(),
                    },
                )
                .await
        }
        None => Err(AppError::NotFound("VoIP connection")),
    };
    let after = match outcome {
        Ok(imported) => After {
            notice: format!(
                "Imported {} numbers; verify each from its page.",
                imported.len()
            ),
            ..After::default()
        },
        Err(error) => {
            let shown = plain(&error);
            let mut import_errors: Vec<String> = shown
                .fields
                .iter()
                .map(|(field, message)| named(field, message, &numbers))
                .collect();
            import_errors.extend(shown.general.clone());
            After {
                shown: Shown {
                    status: shown.status,
                    ..Shown::default()
                },
                import_numbers: numbers.join("\n"),
                import_errors,
                ..After::default()
            }
        }
    };
    render(&state, &change.signed, after).await
}

/// `numbers[2]: …` as "Line 3 (555-0100): …", naming the bad number.
fn named(field: &str, message: &str, numbers: &[String]) -> String {
    let index = field
        .strip_prefix("numbers[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok());
    match index.and_then(|i| numbers.get(i).map(|n| (i, n))) {
        Some((i, number)) => format!("Line {} ({number}): {message}", i + 1),
        None => message.to_owned(),
    }
}

async fn delete(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = path
        .parse()
        .ok()
        .and_then(|id| VoipConnectionId::new(id).ok());
    let outcome = match id {
        Some(id) => {
            state
                .app
                .delete_connection(&change.signed.principal, id)
                .await
        }
        None => Err(AppError::NotFound("VoIP connection")),
    };
    match outcome {
        Ok(()) => see_other("/console/voip-connections"),
        Err(error) => error_page(&change.signed, "connections", &error),
    }
}
