//! A number leaving the org: transfer (admin+ in both orgs, decided by
//! the application) and delete, after a confirmation page.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, ServiceConfig};
use askama::Template;
use thunderphone_app::TransferRequest;
use thunderphone_domain::{OrgId, VoipConnectionId};

use super::number::{After, number_in_path, opened_at, render};
use super::{Chrome, error_page, html, see_other};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};
use crate::words::{Shown, plain};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/numbers/{id}/transfer", web::post().to(transfer))
        .route("/numbers/{id}/delete", web::get().to(confirm_delete))
        .route("/numbers/{id}/delete", web::post().to(delete));
}

#[derive(Template)]
#[template(path = "confirm_delete.html")]
struct ConfirmDelete {
    chrome: Chrome,
    id: i64,
    number: String,
    version: i64,
    shown: Shown,
}

async fn confirm_delete(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    signed: Signed,
) -> HttpResponse {
    let id = match number_in_path(&path, &signed) {
        Ok(id) => id,
        Err(page) => return page,
    };
    match state.app.get_number(&signed.principal, id).await {
        Ok(number) => html(
            StatusCode::OK,
            &ConfirmDelete {
                chrome: Chrome::signed(&signed, "numbers"),
                id: id.get(),
                number: number.number().as_str().to_owned(),
                version: number.version().get(),
                shown: Shown::default(),
            },
        ),
        Err(error) => error_page(&signed, "numbers", &error),
    }
}

async fn delete(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match number_in_path(&path, &change.signed) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let caller = &change.signed.principal;
    match state
        .app
        .delete_number(caller, id, opened_at(&change.fields))
        .await
    {
        Ok(()) => see_other("/console/numbers"),
        Err(error) => error_page(&change.signed, "numbers", &error),
    }
}

/// The transfer form's target, or the errors of its fields.
fn transfer_request(fields: &Fields) -> Result<TransferRequest, Shown> {
    let org = fields.get("target_org_id");
    let Some(target_org_id) = org.parse().ok().and_then(|id| OrgId::new(id).ok()) else {
        return Err(Shown::on(
            "target_org_id",
            "Enter the id of the organisation to move it to.",
        ));
    };
    let connection = fields.get("target_voip_connection_id");
    let target_voip_connection_id = if connection.is_empty() {
        None
    } else {
        match connection
            .parse()
            .ok()
            .and_then(|id| VoipConnectionId::new(id).ok())
        {
            Some(id) => Some(id),
            None => {
                return Err(Shown::on(
                    "target_voip_connection_id",
                    "Enter the id of a VoIP connection of the target organisation.",
                ));
            }
        }
    };
    Ok(TransferRequest {
        target_org_id,
        target_voip_connection_id,
    })
}

/// Moves the number to another org (admin+ in both, decided by the
/// application); it then leaves this org's list.
async fn transfer(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match number_in_path(&path, &change.signed) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let outcome = match transfer_request(&change.fields) {
        Ok(request) => state
            .app
            .transfer_number(
                &change.signed.principal,
                id,
                request,
                opened_at(&change.fields),
            )
            .await
            .map_err(|e| plain(&e)),
        Err(shown) => Err(shown),
    };
    match outcome {
        Ok(_) => see_other("/console/numbers"),
        Err(shown) => {
            let after = After {
                shown,
                ..After::default()
            };
            render(&state, &change.signed, id, after).await
        }
    }
}
