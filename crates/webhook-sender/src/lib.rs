//! Webhook attempts over HTTP (API.md §14), implementing
//! [`thunderphone_ports::WebhookSender`].
//!
//! - [`signature`]: Standard Webhooks `v1` signatures (HMAC-SHA256), pure.
//! - `resolver`: reqwest's lookups answered by the outbound gate, so the
//!   client connects only to addresses the gate checked (API.md §15).
//! - `excerpt`: at most 1 KiB of the answer, then reading stops.
//! - `failure`: why there was no answer, in fixed words.
//!
//! The adapter never logs: the delivery worker writes one line per
//! attempt, and neither signing keys nor bodies belong in it.

mod excerpt;
mod failure;
mod resolver;
mod sender;
pub mod signature;

pub use excerpt::LIMIT as EXCERPT_LIMIT;
pub use sender::{HttpWebhookSender, USER_AGENT};
