//! Per-request context: the request id (`X-Request-Id`, accepted or
//! generated, echoed on the response and in problem+json bodies), one log
//! line per request, and the request metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::metrics::HttpMetrics;

/// The request-id header.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    /// The id of the request being served, for code that has no access to
    /// the request (error rendering, logs).
    static REQUEST_ID: String;
}

/// The current request's id, if called while serving one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A client's id is kept if it is short, visible ASCII; otherwise a new
/// one is made, so ids are always safe to log and echo.
fn accepted(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| s.to_owned())
}

fn generate() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // Not secret, only unique enough to correlate logs.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        return format!("req_{nanos:x}");
    }
    format!("req_{}", hex::encode(bytes))
}

/// The method as a metrics label and in logs: one of RFC 9110's methods
/// (and PATCH), or `OTHER`. A client chooses the method string (up to the
/// size of the request head), so using it as is would let anyone create
/// label values, and log bytes, without bound.
pub(crate) fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("OTHER", Method::as_str)
}

/// The middleware: wrap it outermost so every response gets the id.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(accepted)
        .unwrap_or_else(generate);
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let method = method_label(req.method());
    let started = Instant::now();
    let mut res = REQUEST_ID.scope(id.clone(), next.call(req)).await?;
    let elapsed = started.elapsed();
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    if let Some(metrics) = metrics {
        metrics.observe_request(method, &route, status.as_u16(), elapsed);
    }
    tracing::info!(
        target: "thunderphone::http",
        request_id = %id,
        method,
        route = %route,
        status = status.as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_kept_only_when_safe() {
        assert_eq!(
            accepted(&HeaderValue::from_static("abc-123")),
            Some("abc-123".into())
        );
        assert_eq!(accepted(&HeaderValue::from_static("has space")), None);
        assert_eq!(accepted(&HeaderValue::from_static("")), None);
        let long = "x".repeat(129);
        assert_eq!(
            accepted(&HeaderValue::from_str(&long).unwrap_or(HeaderValue::from_static(""))),
            None
        );
        assert!(generate().starts_with("req_"));
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let custom = Method::from_bytes(&[b'X'; 4096]).unwrap_or(Method::GET);
        assert_eq!(method_label(&custom), "OTHER");
        assert_ne!(generate(), generate());
    }
}
