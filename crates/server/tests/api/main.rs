//! End-to-end tests: the real server on port 0, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

mod agents;
mod connections;
mod errors;
mod numbers;
mod observability;
mod operator;
mod races;
mod transfer;
