//! Per-API-key rate limiting (API.md §11): a token bucket per key (the
//! `governor` crate's GCRA, lock-free), `429 rate_limited` with
//! `Retry-After` when empty, and `RateLimit-Limit` / `RateLimit-Remaining`
//! / `RateLimit-Reset` on every authenticated response.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::Problem;

type KeyedLimiter =
    RateLimiter<i64, DefaultKeyedStateStore<i64>, DefaultClock, StateInformationMiddleware>;

/// The limiter shared by all workers.
#[derive(Clone)]
pub struct RateLimits {
    limiter: Arc<KeyedLimiter>,
    per_second: u32,
    burst: u32,
}

/// The outcome for one request, kept in its extensions for the headers.
#[derive(Debug, Clone, Copy)]
struct Decision {
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

impl RateLimits {
    /// A bucket of `burst` tokens per key refilled at `per_second`; `None`
    /// when `per_second` is 0 (rate limiting off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = burst.max(1);
        let quota = Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate));
        let limiter = RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>();
        Some(Self {
            limiter: Arc::new(limiter),
            per_second,
            burst,
        })
    }

    /// Takes one token for `api_key_id`, or refuses with 429.
    pub(crate) fn check(
        &self,
        req: &actix_web::HttpRequest,
        api_key_id: i64,
    ) -> Result<(), Problem> {
        match self.limiter.check_key(&api_key_id) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = u64::from(self.burst.saturating_sub(remaining));
                let reset_secs = missing.div_ceil(u64::from(self.per_second));
                req.extensions_mut().insert(Decision {
                    limit: self.burst,
                    remaining,
                    reset_secs,
                });
                Ok(())
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                req.extensions_mut().insert(Decision {
                    limit: self.burst,
                    remaining: 0,
                    reset_secs: retry_after,
                });
                let mut problem = Problem::new(
                    actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!(
                        "this API key may make {} requests per second (bursts of {}); retry after {} s",
                        self.per_second, self.burst, retry_after
                    ),
                );
                problem.retry_after = Some(u32::try_from(retry_after.max(1)).unwrap_or(u32::MAX));
                Err(problem)
            }
        }
    }

    /// Forgets idle keys, so the state stays small.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How often [`RateLimits::shrink`] is worth running.
    pub const SHRINK_EVERY: Duration = Duration::from_secs(60);
}

/// Adds the `RateLimit-*` headers decided for this request, if any.
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let decision = res.request().extensions().get::<Decision>().copied();
    if let Some(d) = decision {
        let headers = res.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", u64::from(d.limit)),
            ("ratelimit-remaining", u64::from(d.remaining)),
            ("ratelimit-reset", d.reset_secs),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_rate_turns_limiting_off() {
        assert!(RateLimits::new(0, 10).is_none());
        assert!(RateLimits::new(5, 10).is_some());
    }

    #[test]
    fn burst_then_refusal_per_key() {
        let Some(limits) = RateLimits::new(1, 3) else {
            panic!("limits")
        };
        let req = actix_web::test::TestRequest::default().to_http_request();
        for _ in 0..3 {
            assert!(limits.check(&req, 1).is_ok());
        }
        let Err(problem) = limits.check(&req, 1) else {
            panic!("the 4th request must be limited")
        };
        assert_eq!(problem.code, "rate_limited");
        assert!(problem.retry_after.is_some_and(|s| s >= 1));
        assert!(limits.check(&req, 2).is_ok(), "keys have their own buckets");
    }
}
