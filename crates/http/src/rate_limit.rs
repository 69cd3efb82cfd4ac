//! Per-API-key rate limiting (API.md §11, §17): a token bucket per key,
//! `429 rate_limited` with `Retry-After` when empty, and `RateLimit-Limit`
//! / `RateLimit-Remaining` / `RateLimit-Reset` on every authenticated
//! response.
//!
//! The buckets live in process (the `governor` crate's GCRA, lock-free)
//! or, with `THUNDERPHONE_REDIS_URL`, in a [`RateLimitStore`] shared by
//! every instance. A shared store that cannot be reached within its
//! timeout fails open: the request is admitted and counted in
//! `thunderphone_rate_limit_fail_open_total`, and the store is not asked
//! again for [`RateLimits::PAUSE_AFTER_FAILURE`], so an outage costs each
//! request nothing rather than the timeout.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use thunderphone_ports::{RateLimitStore, Take};

use crate::{HttpMetrics, Problem};

type KeyedLimiter =
    RateLimiter<i64, DefaultKeyedStateStore<i64>, DefaultClock, StateInformationMiddleware>;

/// The limiter shared by all workers.
#[derive(Clone)]
pub struct RateLimits {
    backend: Backend,
    per_second: NonZeroU32,
    burst: NonZeroU32,
}

#[derive(Clone)]
enum Backend {
    Local(Arc<KeyedLimiter>),
    Shared(Arc<Shared>),
}

/// A shared store, its time bound, and when it may be asked again after
/// a failure (milliseconds after `since`).
struct Shared {
    store: Arc<dyn RateLimitStore>,
    timeout: Duration,
    since: Instant,
    paused_until_ms: AtomicU64,
}

/// The outcome for one request, kept in its extensions for the headers.
#[derive(Debug, Clone, Copy)]
struct Decision {
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

/// Whole seconds, rounded up.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl RateLimits {
    /// How long a shared store that failed is left alone (requests are
    /// admitted and counted meanwhile).
    pub const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

    /// A bucket of `burst` tokens per key refilled at `per_second`, in
    /// process; `None` when `per_second` is 0 (rate limiting off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let (per_second, burst) = Self::quota(per_second, burst)?;
        let quota = Quota::per_second(per_second).allow_burst(burst);
        let limiter = RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>();
        Some(Self {
            backend: Backend::Local(Arc::new(limiter)),
            per_second,
            burst,
        })
    }

    /// The same buckets kept in `store`, shared with every instance using
    /// it; each call bounded by `timeout`. `None` when `per_second` is 0.
    pub fn shared(
        per_second: u32,
        burst: u32,
        store: Arc<dyn RateLimitStore>,
        timeout: Duration,
    ) -> Option<Self> {
        let (per_second, burst) = Self::quota(per_second, burst)?;
        Some(Self {
            backend: Backend::Shared(Arc::new(Shared {
                store,
                timeout,
                since: Instant::now(),
                paused_until_ms: AtomicU64::new(0),
            })),
            per_second,
            burst,
        })
    }

    fn quota(per_second: u32, burst: u32) -> Option<(NonZeroU32, NonZeroU32)> {
        let per_second = NonZeroU32::new(per_second)?;
        Some((
            per_second,
            NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        ))
    }

    /// Takes one token for `api_key_id`, or refuses with 429.
    pub(crate) async fn check(
        &self,
        req: &actix_web::HttpRequest,
        api_key_id: i64,
        metrics: &HttpMetrics,
    ) -> Result<(), Problem> {
        let limit = self.burst.get();
        let decision = match &self.backend {
            Backend::Local(limiter) => match limiter.check_key(&api_key_id) {
                Ok(snapshot) => {
                    let remaining = snapshot.remaining_burst_capacity();
                    let missing = u64::from(limit.saturating_sub(remaining));
                    Ok((
                        remaining,
                        missing.div_ceil(u64::from(self.per_second.get())),
                    ))
                }
                Err(not_until) => Err(not_until.wait_time_from(DefaultClock::default().now())),
            },
            Backend::Shared(shared) => match shared.take(api_key_id, self).await {
                Some(Take::Admitted { remaining, full_in }) => Ok((remaining, ceil_secs(full_in))),
                Some(Take::Refused { retry_after }) => Err(retry_after),
                None => {
                    metrics.rate_limit_fail_open.inc();
                    return Ok(());
                }
            },
        };
        match decision {
            Ok((remaining, reset_secs)) => {
                req.extensions_mut().insert(Decision {
                    limit,
                    remaining,
                    reset_secs,
                });
                Ok(())
            }
            Err(wait) => {
                let retry_after = ceil_secs(wait).max(1);
                req.extensions_mut().insert(Decision {
                    limit,
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
                problem.retry_after = Some(u32::try_from(retry_after).unwrap_or(u32::MAX));
                Err(problem)
            }
        }
    }

    /// Forgets idle keys, so the state stays small (a shared store's keys
    /// expire by themselves).
    pub fn shrink(&self) {
        if let Backend::Local(limiter) = &self.backend {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// How often [`RateLimits::shrink`] is worth running.
    pub const SHRINK_EVERY: Duration = Duration::from_secs(60);
}

impl Shared {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The store's answer, or `None` when it cannot be had in time (or
    /// the store failed a moment ago).
    async fn take(&self, api_key_id: i64, limits: &RateLimits) -> Option<Take> {
        if self.now_ms() < self.paused_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        let quota = thunderphone_ports::Quota {
            per_second: limits.per_second,
            burst: limits.burst,
        };
        let bucket = format!("key:{api_key_id}");
        let error = match tokio::time::timeout(self.timeout, self.store.take(&bucket, quota)).await
        {
            Ok(Ok(take)) => return Some(take),
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {} ms", self.timeout.as_millis()),
        };
        let until = self.now_ms() + RateLimits::PAUSE_AFTER_FAILURE.as_millis() as u64;
        let previous = self.paused_until_ms.swap(until, Ordering::Relaxed);
        if previous <= self.now_ms() {
            tracing::warn!(%error, "shared rate limits unavailable: admitting requests unlimited for now");
        }
        None
    }
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

    #[actix_web::test]
    async fn burst_then_refusal_per_key() {
        let Some(limits) = RateLimits::new(1, 3) else {
            panic!("limits")
        };
        let Ok(metrics) = HttpMetrics::new() else {
            panic!("metrics")
        };
        let req = actix_web::test::TestRequest::default().to_http_request();
        for _ in 0..3 {
            assert!(limits.check(&req, 1, &metrics).await.is_ok());
        }
        let Err(problem) = limits.check(&req, 1, &metrics).await else {
            panic!("the 4th request must be limited")
        };
        assert_eq!(problem.code, "rate_limited");
        assert!(problem.retry_after.is_some_and(|s| s >= 1));
        assert!(
            limits.check(&req, 2, &metrics).await.is_ok(),
            "keys have their own buckets"
        );
    }

    /// A store that never answers in time, counting how often it is asked.
    struct Hanging(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl RateLimitStore for Hanging {
        async fn take(
            &self,
            _: &str,
            _: thunderphone_ports::Quota,
        ) -> Result<Take, thunderphone_ports::RateLimitError> {
            self.0.fetch_add(1, Ordering::Relaxed);
            std::future::pending().await
        }
    }

    #[actix_web::test]
    async fn a_shared_store_out_of_reach_fails_open_and_is_left_alone_a_moment() {
        let store = Arc::new(Hanging(Default::default()));
        let Some(limits) = RateLimits::shared(1, 1, store.clone(), Duration::from_millis(50))
        else {
            panic!("limits")
        };
        let Ok(metrics) = HttpMetrics::new() else {
            panic!("metrics")
        };
        let req = actix_web::test::TestRequest::default().to_http_request();
        let started = Instant::now();
        for _ in 0..10 {
            assert!(limits.check(&req, 1, &metrics).await.is_ok());
        }
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "one timeout, not ten"
        );
        assert_eq!(
            store.0.load(Ordering::Relaxed),
            1,
            "paused after the failure"
        );
        assert_eq!(metrics.rate_limit_fail_open.get(), 10);
    }
}
