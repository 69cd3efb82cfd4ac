//! Behaviour of the Postgres store beyond the shared contract: what only a
//! real database with concurrent transactions can show, and the edges the
//! contract leaves to each store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod edges;
mod jobs;
mod pool;
mod races;
mod support;
mod webhooks;
