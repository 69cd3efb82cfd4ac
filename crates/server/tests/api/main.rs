//! End-to-end tests: the real server on port 0, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

/// This binary runs the suite on the embedded store.
pub const STORE: support::StoreKind = support::StoreKind::Memory;

include!("suite.rs");
