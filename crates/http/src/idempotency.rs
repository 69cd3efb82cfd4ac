//! The `Idempotency-Key` header (API.md §11, §17) as middleware around
//! each POST route: the first request under a key runs and its response is
//! kept; the same request again within 24 h gets that response back with
//! `Idempotent-Replayed: true`, without doing the work twice.
//!
//! Admission comes first: the request is authenticated, admitted by the
//! rate limit and authorised for the route's [`Action`] before its key is
//! claimed or replayed, so a replay goes only to a caller who may make the
//! request now. Answers that depend on the caller rather than on the
//! request (401, 403, 407, 408, 429) and server errors are never kept.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, HttpResponse, ResponseError, Route, web};
use sha2::{Digest, Sha256};
use thunderphone_app::{Action, AppError, valid_idempotency_key};
use thunderphone_ports::{IdempotencyStart, StoredResponse};

use crate::extract::{Admitted, authenticate, bearer, declared_length, read_body};
use crate::{HttpState, Problem};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Headers kept with a response and sent again on replay.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// The action a route's request asks for, read from its raw body; `None`
/// when the body is too malformed to say (the handler then refuses it with
/// a 400 or 422 that depends on the request alone).
pub type ActionOf = fn(&[u8]) -> Option<Action>;

type Out = ServiceResponse<EitherBody<BoxBody, BoxBody>>;

/// Makes a POST route idempotent: `action_of` names what the caller must
/// be allowed to do, checked before the key is claimed or replayed.
pub fn idempotent(route: Route, action_of: ActionOf) -> Route {
    route.wrap(from_fn(move |req: ServiceRequest, next: Next<BoxBody>| {
        idempotency(req, next, action_of, Keep::Body)
    }))
}

/// [`idempotent`] for a route whose answer carries a secret shown once
/// (`secret`, e.g. a webhook signing secret): the kept answer has
/// `"secret": null`, so no secret is stored in the clear, and a replay
/// tells the caller it was shown already.
pub fn idempotent_secret_once(route: Route, action_of: ActionOf) -> Route {
    route.wrap(from_fn(move |req: ServiceRequest, next: Next<BoxBody>| {
        idempotency(req, next, action_of, Keep::WithoutSecret)
    }))
}

/// What of an answer is kept for replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Body,
    WithoutSecret,
}

/// The body with its top-level `secret` set to null (unchanged if it is
/// not a JSON object).
fn without_secret(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut object)) => {
            if object.contains_key("secret") {
                object.insert("secret".into(), serde_json::Value::Null);
            }
            serde_json::to_vec(&object).unwrap_or_default()
        }
        _ => body.to_vec(),
    }
}

/// Whether a response may be kept and replayed. Server errors may succeed
/// on a retry; 401, 403, 407 and 429 depend on the caller's credentials,
/// role or rate rather than on the request, and 408 on the connection.
fn kept(status: StatusCode) -> bool {
    !status.is_server_error() && !matches!(status.as_u16(), 401 | 403 | 407 | 408 | 429)
}

fn refuse(req: ServiceRequest, problem: Problem) -> Out {
    req.into_response(problem.error_response())
        .map_into_right_body()
}

async fn idempotency(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
    action_of: ActionOf,
    keep: Keep,
) -> Result<Out, actix_web::Error> {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let Some(key) = key.filter(|_| req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    // Admission: authentication and the rate limit. The handler's `Caller`
    // takes the admitted principal from the request instead of doing both
    // again.
    let Some(token) = bearer(req.request()).map(str::to_owned) else {
        return Ok(refuse(req, Problem::from(AppError::Unauthorized)));
    };
    let caller = match authenticate(req.request(), &state, &token).await {
        Ok(caller) => caller,
        Err(problem) => return Ok(refuse(req, problem)),
    };
    req.extensions_mut().insert(Admitted(caller));
    if !valid_idempotency_key(&key) {
        let problem = Problem::invalid("Idempotency-Key", "must be 1-255 of A-Za-z0-9_:-");
        return Ok(refuse(req, problem));
    };
    let declared = declared_length(req.request());
    let mut payload = req.take_payload();
    let body = match read_body(&mut payload, declared, state.body_timeout).await {
        Ok(body) => body,
        Err(problem) => return Ok(refuse(req, problem)),
    };
    // Authorisation, now, for a first run and a replay alike.
    if let Some(action) = action_of(&body)
        && let Err(error) = state.app.authorize(&caller, &action).await
    {
        return Ok(refuse(req, Problem::from(error)));
    }
    let fingerprint = fingerprint(&req, &body);
    let start = match state
        .app
        .begin_idempotent(&caller, &key, &fingerprint)
        .await
    {
        Ok(start) => start,
        Err(error) => return Ok(refuse(req, Problem::from(error))),
    };
    match start {
        IdempotencyStart::Started => {}
        IdempotencyStart::Replay(stored) => {
            return Ok(req.into_response(replay(stored)).map_into_right_body());
        }
        IdempotencyStart::InProgress => {
            let problem = Problem::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still running; retry once it has finished",
            );
            return Ok(refuse(req, problem));
        }
        IdempotencyStart::KeyReused => {
            let problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request (method, path or body); use a new key",
            );
            return Ok(refuse(req, problem));
        }
    }
    req.set_payload(Payload::from(web::Bytes::from(body)));
    let res = next.call(req).await?;
    let status = res.status();
    if !kept(status) {
        if let Err(error) = state
            .app
            .abandon_idempotent(&caller, &key, &fingerprint)
            .await
        {
            tracing::warn!(%error, "cannot release an idempotency key; it frees itself when its lock passes");
        }
        return Ok(res.map_into_left_body());
    }
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let headers = REPLAYED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = head.headers().get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    let stored = StoredResponse {
        status: status.as_u16(),
        headers,
        body: match keep {
            Keep::Body => bytes.to_vec(),
            Keep::WithoutSecret => without_secret(&bytes),
        },
    };
    if let Err(error) = state
        .app
        .complete_idempotent(&caller, &key, &fingerprint, stored)
        .await
    {
        tracing::warn!(%error, "cannot keep the response of an idempotent request");
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, response).map_into_right_body())
}

/// SHA-256 over method, path with query, content type and body.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b"\n");
    hasher.update(
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or_default(),
    );
    hasher.update(b"\n");
    hasher.update(
        req.headers()
            .get(header::CONTENT_TYPE)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default(),
    );
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.insert_header((name, value));
        }
    }
    response.insert_header(("idempotent-replayed", "true"));
    response.body(stored.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_about_the_caller_are_not_kept() {
        for status in [200, 201, 204, 400, 404, 409, 412, 413, 415, 422] {
            assert!(StatusCode::from_u16(status).is_ok_and(kept), "{status}");
        }
        for status in [401, 403, 407, 408, 429, 500, 502, 503, 504] {
            assert!(
                StatusCode::from_u16(status).is_ok_and(|s| !kept(s)),
                "{status}"
            );
        }
    }
}
