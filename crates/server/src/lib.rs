//! The `thunderphone` server: reads the configuration, wires adapters to
//! the application and serves the HTTP API. Also used by the end-to-end
//! tests, which start the real server on port 0.

pub mod admin;
mod admin_lists;
mod admin_output;
mod background;
pub mod carriers;
pub mod config;
pub mod demo;
pub mod outbound;
pub mod webhooks;
mod wiring;

pub use config::{Config, LogFormat, ProviderKind};
pub use wiring::{Overrides, Running, open_postgres, start, vault};
