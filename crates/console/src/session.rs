//! The session cookie: a random id (made by the application, 32 bytes from
//! the OS) in `HttpOnly; SameSite=Strict; Path=/console`, `Secure` unless
//! the request names a loopback host (browsers accept plain-HTTP cookies
//! only there, and treat those hosts as secure anyway). The store keeps the
//! id's hash; this module only moves the id between browser and app.

use actix_web::HttpRequest;
use actix_web::http::header;
use sha2::{Digest, Sha256};

/// The cookie's name.
pub const COOKIE: &str = "tp_session";

/// The session id the request's cookie carries, if any.
pub fn session_id(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// True when the request was addressed to a loopback host.
pub fn on_loopback(req: &HttpRequest) -> bool {
    let info = req.connection_info();
    let host = info.host();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn cookie(req: &HttpRequest, value: &str, max_age: u64) -> String {
    let secure = if on_loopback(req) { "" } else { "; Secure" };
    format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={max_age}{secure}")
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(req: &HttpRequest, id: &str) -> String {
    cookie(req, id, thunderphone_app::SESSION_TTL.as_secs())
}

/// `Set-Cookie` that makes the browser forget the session.
pub fn clear_cookie(req: &HttpRequest) -> String {
    cookie(req, "", 0)
}

/// The session's token against cross-site requests: derived from the
/// secret id, so it needs no storage, differs per session, and reveals
/// nothing about the id (nor about the hash the store keeps).
pub fn csrf_token(session_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"thunderphone console csrf\0");
    hasher.update(session_id.as_bytes());
    let digest = hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
