//! The retry policy of the vendor clients: which answers are worth another
//! try, and how long to wait before it.

use std::time::Duration;

use reqwest::{StatusCode, header};

/// How often and how long a client retries a request the vendor asked to
/// retry (429) or failed on its side (5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Longest wait between tries. A `Retry-After` longer than this ends the
    /// retries at once: the caller retries later anyway, and a request must
    /// not sit in a loop for longer than its caller is willing to wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before try `attempt + 1`, or `None` to stop retrying.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait),
            None => {
                let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
                Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
            }
        }
    }
}

/// Whether a request may be sent twice without harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotence {
    /// GET, DELETE: retried on 429 and any 5xx.
    Safe,
    /// POST: retried on 429 and 503 only, the answers that say the request
    /// was not processed. After another 5xx the purchase may have gone
    /// through; the caller's next attempt looks the number up first.
    Unsafe,
}

pub(crate) fn retryable(status: StatusCode, idempotence: Idempotence) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || match idempotence {
            Idempotence::Safe => status.is_server_error(),
            Idempotence::Unsafe => status == StatusCode::SERVICE_UNAVAILABLE,
        }
}

/// `Retry-After` in seconds. The HTTP-date form is not used by either
/// vendor; it falls back to the exponential backoff.
pub(crate) fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        assert_eq!(policy.delay(1, None), Some(Duration::from_millis(100)));
        assert_eq!(policy.delay(2, None), Some(Duration::from_millis(200)));
        assert_eq!(policy.delay(3, None), Some(Duration::from_millis(300)));
        assert_eq!(policy.delay(4, None), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(1, Some(Duration::from_secs(60))), None);
    }

    #[test]
    fn only_unprocessed_posts_are_retried() {
        assert!(retryable(
            StatusCode::TOO_MANY_REQUESTS,
            Idempotence::Unsafe
        ));
        assert!(retryable(
            StatusCode::SERVICE_UNAVAILABLE,
            Idempotence::Unsafe
        ));
        assert!(!retryable(StatusCode::BAD_GATEWAY, Idempotence::Unsafe));
        assert!(retryable(StatusCode::BAD_GATEWAY, Idempotence::Safe));
        assert!(!retryable(StatusCode::BAD_REQUEST, Idempotence::Safe));
    }
}
