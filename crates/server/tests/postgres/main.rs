//! Postgres-only proofs, on the real binary: restarts keep everything, a
//! `kill -9` loses no activation job, two instances on one database never
//! hand out a number twice, webhook deliveries survive a crash and go out
//! once per endpoint with two instances, and a database outage is a clean 503 that heals
//! by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod harness;
#[path = "../api/receiver.rs"]
mod receiver;

mod crash;
mod demo;
mod hang;
mod outage;
mod restart;
mod scale_out;
mod secret_key;
mod webhooks;
