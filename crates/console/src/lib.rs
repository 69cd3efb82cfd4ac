//! The web console (API.md §16): server-rendered pages over the same
//! application use cases as the HTTP API, so a signed-in key can do in a
//! browser exactly what its role allows through the API.
//!
//! Pages are askama templates checked at compile time; htmx (vendored, see
//! `assets/README.md`) polls a provisioning number's status. Everything is
//! compiled into the binary and served under `/console`: the console loads
//! nothing from elsewhere. Sessions and the cross-site request defence are
//! in [`session`] and [`guard`]; `docs/CONSOLE.md` explains both.

mod assets;
mod guard;
mod pages;
pub mod session;
mod words;

use actix_web::web::{self, ServiceConfig};
use thunderphone_app::App;

/// Where the console is mounted.
pub const MOUNT: &str = "/console";

/// What every console handler shares.
#[derive(Clone)]
pub struct ConsoleState {
    /// The application.
    pub app: App,
}

/// Registers the console under [`MOUNT`].
pub fn configure(app: App) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg: &mut ServiceConfig| {
        cfg.service(
            web::scope(MOUNT)
                .app_data(web::Data::new(ConsoleState { app }))
                .configure(assets::routes)
                .configure(pages::routes),
        );
    }
}
