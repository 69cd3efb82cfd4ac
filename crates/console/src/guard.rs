//! Who may see a page and who may change something. A page needs a live
//! session (else: to the sign-in page). A change (every POST) must come
//! from our own origin — `Origin` naming this host, or, without `Origin`,
//! `Sec-Fetch-Site: same-origin` — and carry the session's token in its
//! `csrf` field or `X-CSRF-Token` header; anything else is a 403. Either
//! check alone would do against today's browsers; both together leave no
//! gap for an old browser or a same-site subdomain.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use subtle::ConstantTimeEq;
use thunderphone_app::{AppError, Principal};

use crate::ConsoleState;
use crate::session::{csrf_token, session_id};

/// Why a request is refused before its handler runs.
#[derive(Debug)]
pub enum Refusal {
    /// No live session: go and sign in.
    SignIn,
    /// A change that did not come from the console's own pages.
    CrossSite(&'static str),
    /// Something broke; the cause is logged.
    Unexpected,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::SignIn => f.write_str("sign in first"),
            Refusal::CrossSite(why) => write!(f, "refused: {why}"),
            Refusal::Unexpected => f.write_str("something went wrong; it has been logged"),
        }
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::SignIn => StatusCode::SEE_OTHER,
            Refusal::CrossSite(_) => StatusCode::FORBIDDEN,
            Refusal::Unexpected => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Refusal::SignIn => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/sign-in"))
                .insert_header(("HX-Redirect", "/console/sign-in"))
                .finish(),
            other => crate::pages::message_page(self.status_code(), &other.to_string()),
        }
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<ConsoleState>, Refusal> {
    req.app_data::<web::Data<ConsoleState>>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("ConsoleState missing from app data");
            Refusal::Unexpected
        })
}

/// The signed-in caller of a page.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who the session acts as (checked against its key just now).
    pub principal: Principal,
    /// The session's token for the forms of the page.
    pub csrf: String,
}

async fn signed(state: &ConsoleState, id: Option<String>) -> Result<(Signed, String), Refusal> {
    let id = id.ok_or(Refusal::SignIn)?;
    match state.app.session_principal(&id).await {
        Ok(principal) => Ok((
            Signed {
                principal,
                csrf: csrf_token(&id),
            },
            id,
        )),
        Err(AppError::Unauthorized) => Err(Refusal::SignIn),
        Err(error) => {
            tracing::error!(%error, "cannot read a console session");
            Err(Refusal::Unexpected)
        }
    }
}

impl FromRequest for Signed {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Refusal>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state(req);
        let id = session_id(req);
        Box::pin(async move { Ok(signed(&*state?, id).await?.0) })
    }
}

/// Refuses a change that does not come from one of our pages.
pub fn same_origin(req: &HttpRequest) -> Result<(), Refusal> {
    let headers = req.headers();
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = url::Url::parse(origin).ok().and_then(|url| {
            let name = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{name}:{port}"),
                None => name,
            })
        });
        let ours = req.connection_info().host().to_ascii_lowercase();
        return match host {
            Some(host) if host.eq_ignore_ascii_case(&ours) => Ok(()),
            _ => Err(Refusal::CrossSite("the request came from another site")),
        };
    }
    match headers.get("Sec-Fetch-Site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") => Ok(()),
        _ => Err(Refusal::CrossSite(
            "the request does not say it came from this site",
        )),
    }
}

/// The fields of a form body (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses a urlencoded body.
    pub fn parse(body: &[u8]) -> Self {
        Fields(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// A field's value, trimmed; `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every value of a repeated field (checkboxes), trimmed, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.trim())
    }
}

/// A change by the signed-in caller: same origin, live session, right token.
#[derive(Debug)]
pub struct Change {
    /// The caller.
    pub signed: Signed,
    /// The session id (for sign-out).
    pub session_id: String,
    /// The form.
    pub fields: Fields,
}

/// The sign-in form: same origin, no session yet.
#[derive(Debug)]
pub struct SignInForm(pub Fields);

fn read_fields(req: &HttpRequest, payload: &mut Payload) -> impl Future<Output = Fields> + use<> {
    let body = web::Bytes::from_request(req, payload);
    async move {
        match body.await {
            Ok(bytes) => Fields::parse(&bytes),
            Err(_) => Fields::default(),
        }
    }
}

impl FromRequest for SignInForm {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Refusal>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = same_origin(req);
        let body = read_fields(req, payload);
        Box::pin(async move {
            checked?;
            Ok(SignInForm(body.await))
        })
    }
}

impl FromRequest for Change {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Refusal>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = same_origin(req);
        let state = state(req);
        let id = session_id(req);
        let header_token = req
            .headers()
            .get("X-CSRF-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_fields(req, payload);
        Box::pin(async move {
            checked?;
            let fields = body.await;
            let (signed, session_id) = signed(&*state?, id).await?;
            let sent = header_token.unwrap_or_else(|| fields.get("csrf").to_owned());
            if !bool::from(sent.as_bytes().ct_eq(signed.csrf.as_bytes())) {
                return Err(Refusal::CrossSite("the form's token is missing or stale"));
            }
            Ok(Change {
                signed,
                session_id,
                fields,
            })
        })
    }
}
