//! The end-to-end suite of `tests/api`, run against Postgres: every test
//! gets its own database, created and dropped by `thunderphone-test-db`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../api/support.rs"]
mod support;

/// This binary runs the suite on Postgres.
pub const STORE: support::StoreKind = support::StoreKind::Postgres;

#[path = "../api/admission.rs"]
mod admission;

#[path = "../api/agents.rs"]
mod agents;

#[path = "../api/connections.rs"]
mod connections;

#[path = "../api/errors.rs"]
mod errors;

#[path = "../api/hostile.rs"]
mod hostile;

#[path = "../api/idempotency.rs"]
mod idempotency;

#[path = "../api/numbers.rs"]
mod numbers;

#[path = "../api/observability.rs"]
mod observability;

#[path = "../api/operator.rs"]
mod operator;

#[path = "../api/outbound.rs"]
mod outbound;

#[path = "../api/provisioning.rs"]
mod provisioning;

#[path = "../api/races.rs"]
mod races;

#[path = "../api/shared_limits.rs"]
mod shared_limits;

#[path = "../api/sip_peer.rs"]
mod sip_peer;

#[path = "../api/transfer.rs"]
mod transfer;
