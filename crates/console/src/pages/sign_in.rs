//! Signing in and out.

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use thunderphone_app::AppError;

use super::{Chrome, html};
use crate::ConsoleState;
use crate::guard::{Change, SignInForm};
use crate::session::{clear_cookie, set_cookie};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/sign-in", web::get().to(form))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-out", web::post().to(sign_out));
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    chrome: Chrome,
    error: &'a str,
}

async fn form() -> HttpResponse {
    html(
        StatusCode::OK,
        &SignInPage {
            chrome: Chrome::anonymous(),
            error: "",
        },
    )
}

async fn sign_in(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    SignInForm(fields): SignInForm,
) -> HttpResponse {
    let refused = |status, error| {
        html(
            status,
            &SignInPage {
                chrome: Chrome::anonymous(),
                error,
            },
        )
    };
    match state.app.sign_in(fields.get("api_key")).await {
        Ok(session) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/console/numbers"))
            .insert_header((header::SET_COOKIE, set_cookie(&req, &session.id)))
            .finish(),
        Err(AppError::Unauthorized) => refused(
            StatusCode::UNAUTHORIZED,
            "That API key is unknown or has been revoked.",
        ),
        Err(error) => {
            let shown = crate::words::plain(&error);
            refused(
                shown.status(),
                shown.general.as_deref().unwrap_or("Cannot sign in now."),
            )
        }
    }
}

async fn sign_out(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    if let Err(error) = state.app.sign_out(&change.session_id).await {
        tracing::error!(%error, "cannot delete a console session");
        return super::message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Could not sign you out on the server; try again.",
        );
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in"))
        .insert_header((header::SET_COOKIE, clear_cookie(&req)))
        .finish()
}
