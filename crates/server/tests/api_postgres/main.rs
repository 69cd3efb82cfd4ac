//! The end-to-end suite of `tests/api`, run against Postgres: every test
//! gets its own database, created and dropped by `thunderphone-test-db`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../api/support.rs"]
mod support;

/// This binary runs the suite on Postgres.
pub const STORE: support::StoreKind = support::StoreKind::Postgres;

include!("../api/suite.rs");
