//! Static files compiled into the binary: the vendored htmx with its
//! licence, and our stylesheet. Served with a long cache lifetime under a
//! versioned name, so a new build's files are fetched again.

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, http::header};

const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");
const HTMX_LICENSE: &[u8] = include_bytes!("../assets/htmx-LICENSE");
const CSS: &[u8] = include_bytes!("../assets/console.css");
const JS: &[u8] = include_bytes!("../assets/console.js");

/// Path of the stylesheet, with the crate version so caches follow builds.
pub const CSS_PATH: &str = concat!(
    "/console/assets/console-",
    env!("CARGO_PKG_VERSION"),
    ".css"
);
/// Path of our script (copy buttons).
pub const JS_PATH: &str = concat!("/console/assets/console-", env!("CARGO_PKG_VERSION"), ".js");
/// Path of htmx.
pub const HTMX_PATH: &str = "/console/assets/htmx-2.0.11.min.js";

fn file(body: &'static [u8], content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

pub(crate) fn routes(cfg: &mut ServiceConfig) {
    let css = CSS_PATH.trim_start_matches("/console");
    let htmx = HTMX_PATH.trim_start_matches("/console");
    let js = JS_PATH.trim_start_matches("/console");
    cfg.route(
        css,
        web::get().to(|| async { file(CSS, "text/css; charset=utf-8") }),
    )
    .route(
        htmx,
        web::get().to(|| async { file(HTMX, "text/javascript; charset=utf-8") }),
    )
    .route(
        js,
        web::get().to(|| async { file(JS, "text/javascript; charset=utf-8") }),
    )
    .route(
        "/assets/htmx-LICENSE",
        web::get().to(|| async { file(HTMX_LICENSE, "text/plain; charset=utf-8") }),
    );
}
