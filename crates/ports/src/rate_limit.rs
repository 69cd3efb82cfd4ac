//! Rate-limit buckets kept outside the process (API.md §17: rate limits
//! across instances), so that every instance sharing the store enforces
//! one limit per API key.

use std::num::NonZeroU32;
use std::time::Duration;

use async_trait::async_trait;

/// The size and refill rate of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Tokens added per second.
    pub per_second: NonZeroU32,
    /// Most tokens the bucket holds (the largest burst).
    pub burst: NonZeroU32,
}

/// The outcome of taking one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// A token was taken: the request may go ahead.
    Admitted {
        /// Tokens left after this one.
        remaining: u32,
        /// How long until the bucket is full again.
        full_in: Duration,
    },
    /// The bucket is empty: nothing was taken.
    Refused {
        /// How long until a token is there again.
        retry_after: Duration,
    },
}

/// Why a bucket could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// The store cannot be reached, timed out or answered something
    /// unexpected; nothing is known about the bucket.
    #[error("rate-limit store unavailable: {0}")]
    Unavailable(String),
}

/// Token buckets shared by every instance, one per name.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Takes one token from the bucket `bucket` with `quota`, in one
    /// atomic step however many instances take from it at once. A bucket
    /// never used (or idle long enough to be full) starts full.
    ///
    /// # Errors
    /// [`RateLimitError::Unavailable`] only; the caller decides whether
    /// to admit the request anyway.
    async fn take(&self, bucket: &str, quota: Quota) -> Result<Take, RateLimitError>;
}
