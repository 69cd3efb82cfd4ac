//! The `Idempotency-Key` header (API.md §11) as middleware around every
//! POST: the first request under a key runs and its response (below 500)
//! is kept; the same request again within 24 h gets that response back
//! with `Idempotent-Replayed: true`, without doing the work twice.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use sha2::{Digest, Sha256};
use thunderphone_app::{Principal, valid_idempotency_key};
use thunderphone_ports::{IdempotencyStart, StoredResponse};

use crate::extract::read_body;
use crate::{HttpState, Problem};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Headers kept with a response and sent again on replay.
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

type Out<B> = ServiceResponse<EitherBody<B, BoxBody>>;

/// The middleware.
pub async fn idempotency<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<Out<B>, actix_web::Error> {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let Some(key) = key.filter(|_| req.method() == Method::POST) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if !valid_idempotency_key(&key) {
        let problem = Problem::invalid("Idempotency-Key", "must be 1-255 of A-Za-z0-9_:-");
        return Ok(req
            .into_response(problem.error_response())
            .map_into_right_body());
    };
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    // Unauthenticated requests go on to be refused by the route as usual.
    let Some(caller) = authenticate(&state, &req).await else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut payload = req.take_payload();
    let body = match read_body(&mut payload, declared, state.body_timeout).await {
        Ok(body) => body,
        Err(problem) => {
            return Ok(req
                .into_response(problem.error_response())
                .map_into_right_body());
        }
    };
    let fingerprint = fingerprint(&req, &body);
    let start = match state
        .app
        .begin_idempotent(&caller, &key, &fingerprint)
        .await
    {
        Ok(start) => start,
        Err(error) => {
            return Ok(req
                .into_response(Problem::from(error).error_response())
                .map_into_right_body());
        }
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
            return Ok(req
                .into_response(problem.error_response())
                .map_into_right_body());
        }
        IdempotencyStart::KeyReused => {
            let problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request (method, path or body); use a new key",
            );
            return Ok(req
                .into_response(problem.error_response())
                .map_into_right_body());
        }
    }
    req.set_payload(Payload::from(web::Bytes::from(body)));
    let res = next.call(req).await?;
    let status = res.status();
    if status.is_server_error() {
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
        body: bytes.to_vec(),
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

async fn authenticate(state: &HttpState, req: &ServiceRequest) -> Option<Principal> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    state.app.authenticate(token.trim()).await.ok()
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
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
