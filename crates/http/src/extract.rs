//! Request extractors. Each one turns a malformed request into the right
//! problem+json response before any handler runs: bodies (size, media type,
//! JSON shape), bearer keys, `If-Match`, ids in paths and query strings.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use thunderphone_app::{IfMatch, Principal};

use crate::{HttpState, Problem};

/// Largest accepted request body (API.md §10).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, Problem>>>>;

fn state(req: &HttpRequest) -> Result<web::Data<HttpState>, Problem> {
    req.app_data::<web::Data<HttpState>>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("HttpState missing from app data");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "server misconfigured",
            )
        })
}

/// A JSON request body, read with the size limit and media-type check of
/// API.md §10. An empty body reads as `{}`, so `POST /v1/phone-numbers`
/// with no body means "no preference"; a non-empty body must be sent as
/// `application/json` (or `+json`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Problem;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = declared_length(req);
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|mime| {
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        let mut payload = payload.take();
        let timeout = body_timeout(req);
        Box::pin(async move {
            let mut body = read_body(&mut payload, declared, timeout).await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                body = b"{}".to_vec();
            } else if !is_json {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                ));
            }
            serde_json::from_slice::<T>(&body)
                .map(JsonBody)
                .map_err(|e| {
                    Problem::bad_request(format!(
                        "the body is not valid JSON for this request: {e}"
                    ))
                })
        })
    }
}

/// The body size the client announced (`Content-Length`), if any.
pub(crate) fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// How long a whole request body may take to arrive when nothing says
/// otherwise ([`HttpState::body_timeout`]).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

fn body_timeout(req: &HttpRequest) -> Duration {
    req.app_data::<web::Data<HttpState>>()
        .map_or(BODY_TIMEOUT, |state| state.body_timeout)
}

/// Reads a whole body of at most [`MAX_BODY_BYTES`] within `timeout`.
/// A client that trickles its body gets 408 and the connection is closed
/// (its unread rest cannot be skipped): a slow body must not hold a
/// worker's attention, or memory, for longer than the timeout.
///
/// # Errors
/// 413 over the size limit, 408 past the timeout, 400 when the
/// connection breaks.
pub(crate) async fn read_body(
    payload: &mut Payload,
    declared: Option<u64>,
    timeout: Duration,
) -> Result<Vec<u8>, Problem> {
    let deadline = tokio::time::Instant::now() + timeout;
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        drain(payload, declared, deadline).await;
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        let chunk = match tokio::time::timeout_at(deadline, payload.next()).await {
            Err(_) => return Err(too_slow(timeout)),
            Ok(None) => return Ok(body),
            Ok(Some(chunk)) => {
                chunk.map_err(|e| Problem::bad_request(format!("could not read the body: {e}")))?
            }
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            drain(payload, declared, deadline).await;
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
}

fn too_slow(timeout: Duration) -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!(
            "the request body did not arrive within {} s",
            timeout.as_secs_f32()
        ),
    )
}

/// Bodies up to this size are read and discarded after a 413, so the
/// client, still sending, receives the answer instead of a reset
/// connection. Larger ones are cut off: reading them would be the attack.
const DRAIN_LIMIT: u64 = 4 * 1024 * 1024;

async fn drain(payload: &mut Payload, declared: Option<u64>, deadline: tokio::time::Instant) {
    if declared.is_some_and(|len| len > DRAIN_LIMIT) {
        return;
    }
    let mut seen = 0u64;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, payload.next()).await {
        seen += chunk.len() as u64;
        if seen > DRAIN_LIMIT {
            return;
        }
    }
}

fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
    )
}

/// The bearer token of a request, if it has the `Bearer <token>` shape.
pub(crate) fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The authenticated caller of `/v1` routes.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Principal);

/// A caller already authenticated and admitted for this request (by the
/// idempotency middleware), kept in its extensions so that [`Caller`]
/// neither looks the key up nor takes from the rate limit a second time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted(pub Principal);

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(Admitted(principal)) = req.extensions().get::<Admitted>().copied() {
            return Box::pin(std::future::ready(Ok(Caller(principal))));
        }
        let token = bearer(req).map(str::to_owned);
        let state = state(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state?;
            let Some(token) = token else {
                return Err(Problem::from(thunderphone_app::AppError::Unauthorized));
            };
            authenticate(&req, &state, &token).await.map(Caller)
        })
    }
}

/// The bearer key of a `/v1` request, not checked yet: read routes pass it
/// to a use case that authenticates it in the same store call as the read,
/// then [`admit`] the caller. A request without a bearer key is refused
/// here (401), like [`Caller`] does.
#[derive(Debug, Clone)]
pub struct BearerKey(pub String);

impl FromRequest for BearerKey {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            bearer(req)
                .map(|token| BearerKey(token.to_owned()))
                .ok_or_else(|| Problem::from(thunderphone_app::AppError::Unauthorized)),
        )
    }
}

/// Authenticates `token` on its own and [`admit`]s its caller: what
/// [`Caller`] does, for routes holding a [`BearerKey`].
///
/// # Errors
/// 401 for a bad key, 429 over the rate limit, store errors.
pub async fn authenticate(
    req: &HttpRequest,
    state: &HttpState,
    token: &str,
) -> Result<Principal, Problem> {
    let principal = state.app.authenticate(token).await?;
    admit(req, state, &principal).await?;
    Ok(principal)
}

/// Takes the authenticated caller's token from its rate limit (and records
/// the figures for the `RateLimit-*` headers).
///
/// # Errors
/// 429 when the caller's bucket is empty.
pub async fn admit(
    req: &HttpRequest,
    state: &HttpState,
    principal: &Principal,
) -> Result<(), Problem> {
    match &state.rate_limits {
        Some(limits) => {
            limits
                .check(req, principal.api_key_id.get(), &state.metrics)
                .await
        }
        None => Ok(()),
    }
}

/// An operator request: bearer `THUNDERPHONE_ADMIN_TOKEN`, compared in
/// constant time. Without a configured token the operator API does not
/// exist (404).
#[derive(Debug, Clone, Copy)]
pub struct Operator;

impl FromRequest for Operator {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(state(req).and_then(|state| {
            let Some(expected) = state.admin_token.as_deref() else {
                return Err(Problem::not_found("no such route"));
            };
            match bearer(req) {
                Some(token) if bool::from(token.as_bytes().ct_eq(expected.as_bytes())) => {
                    Ok(Operator)
                }
                _ => Err(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "missing or wrong operator token",
                )),
            }
        }))
    }
}

/// The `If-Match` header, if sent.
#[derive(Debug, Clone)]
pub struct IfMatchHeader(pub Option<IfMatch>);

impl FromRequest for IfMatchHeader {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| IfMatch::parse(v.to_str().unwrap_or("")));
        std::future::ready(Ok(IfMatchHeader(value)))
    }
}

/// Parses an id from a path segment; anything but a positive 64-bit integer
/// names no resource, so it is a 404.
pub fn path_id<T: FromStr>(raw: &str, what: &str) -> Result<T, Problem> {
    raw.parse::<T>()
        .map_err(|_| Problem::not_found(format!("{what} not found")))
}

/// Query parameters as ordered pairs; a repeated or unknown parameter is
/// a 422 rather than silently ignored.
#[derive(Debug, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Parses a query string, accepting only the `allowed` names, once each.
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Self, Problem> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
            .map_err(|_| Problem::invalid("query", "is not a valid query string"))?
            .into_inner();
        let mut errors = Vec::new();
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !allowed.contains(&name.as_str()) {
                errors.push(thunderphone_app::FieldError::new(
                    name.clone(),
                    format!(
                        "is not a query parameter here; use one of: {}",
                        allowed.join(", ")
                    ),
                ));
            } else if pairs[..i].iter().any(|(n, _)| n == name) {
                errors.push(thunderphone_app::FieldError::new(
                    name.clone(),
                    "is given more than once",
                ));
            }
        }
        if errors.is_empty() {
            Ok(Self(pairs))
        } else {
            Err(Problem::validation(errors))
        }
    }

    /// Every parameter, in request order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of a parameter, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// For handlers that take no body: reads and discards whatever the client
/// sent (up to the drain limit), so the connection stays usable for its
/// next request instead of being closed with the body unread.
#[derive(Debug, Clone, Copy)]
pub struct IgnoredBody;

impl FromRequest for IgnoredBody {
    type Error = Problem;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = declared_length(req);
        let mut payload = payload.take();
        let deadline = tokio::time::Instant::now() + body_timeout(req);
        Box::pin(async move {
            drain(&mut payload, declared, deadline).await;
            Ok(IgnoredBody)
        })
    }
}
