//! Sending one webhook attempt (API.md §14). The adapter owns the wire
//! format: Standard Webhooks headers and signatures, the outbound gate,
//! the time bound, redirects never followed, a bounded read of the answer.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use thunderphone_domain::WebhookUrl;

/// A signing secret's bytes, opened for one attempt. `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(pub Vec<u8>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

/// One attempt to send.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// Where to.
    pub url: WebhookUrl,
    /// The `webhook-id` header: the event id, the same on every retry.
    pub webhook_id: String,
    /// The `webhook-timestamp` header: Unix seconds of this attempt.
    pub timestamp: i64,
    /// One `v1,` signature per key, space-separated, in this order.
    pub keys: Vec<SigningKey>,
    /// The event, byte for byte as `GET /v1/events/{id}` shows it.
    pub body: Arc<[u8]>,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The receiver answered within the bound (any status; a redirect is
    /// an answer, never followed).
    Answered {
        /// The status code.
        status: u16,
        /// The start of the body: at most 1 KiB, lossy UTF-8.
        body_excerpt: String,
    },
    /// No answer: a refused destination, a failed lookup, a connection
    /// or TLS error, or the time bound passed. `error` says which in our
    /// words (safe to show the tenant: no address a name resolved to).
    NotAnswered {
        /// What happened.
        error: String,
    },
}

/// Sends webhook attempts.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `request.body` to `request.url` with the Standard Webhooks
    /// headers, through the outbound gate, bounded in time. Never fails:
    /// every problem is a [`SendOutcome::NotAnswered`].
    async fn send(&self, request: WebhookRequest) -> SendOutcome;
}
