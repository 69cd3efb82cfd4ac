//! A bare actix-web server: `GET /` answers a fixed JSON body shaped like
//! the service's phone number (about the same size), with an `ETag`, and
//! nothing else (no auth, no database, no middleware). It is the ceiling
//! any actix-web handler can reach on this machine.
//!
//! `thunderphone-bench-ceiling [ADDR]` (default `127.0.0.1:18481`);
//! `CEILING_WORKERS` sets the worker threads (default: actix's, one per
//! physical core, like the service).

use actix_web::{App, HttpResponse, HttpServer, web};

const BODY: &str = r#"{"id":123456,"number":"+12012345678","source":"demo","status":"active","inbound_agent_id":null,"outbound_agent_id":null,"voip_connection_id":null,"voip_verification_status":"unverified","voip_last_verified_at":null,"status_reason":null,"version":1,"created_at":"2026-01-01T00:02:03.456Z","updated_at":"2026-01-01T00:02:03.456Z"}"#;

async fn fixed() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("ETag", "\"1\""))
        .body(BODY)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18481".to_owned());
    let mut server = HttpServer::new(|| App::new().route("/", web::get().to(fixed)));
    if let Some(n) = std::env::var("CEILING_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        server = server.workers(n);
    }
    server.bind(addr)?.run().await
}
