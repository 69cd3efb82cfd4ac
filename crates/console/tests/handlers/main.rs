//! The console's handlers without a browser, one module per concern:
//! sessions and their cookie, the cross-site request guard, roles, errors
//! in plain words, webhooks, and pages of many agents or versions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[macro_use]
#[path = "../support/mod.rs"]
mod support;

mod cross_site;
mod errors;
mod history;
mod names;
mod roles;
mod sessions;
mod webhooks;
