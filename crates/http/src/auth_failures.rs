//! Failed authentication, limited per client address (API.md §17): after
//! `THUNDERPHONE_AUTH_FAILURES_PER_MIN` answers of 401 to one address
//! within a minute, every request of that address to `/v1` or `/admin/v1`
//! is answered 429 with `Retry-After` until its minute has passed, before
//! any key is looked up or any token compared. Every 401 also gets its
//! `WWW-Authenticate: Bearer` challenge here (RFC 6750), whichever layer
//! refused it.
//!
//! One fixed window per address: simple to reason about ("at most N
//! guesses a minute") and one small record per address that failed.
//! IPv6 addresses count per /64, since one host commonly owns a whole
//! /64. Windows that passed are forgotten by [`AuthFailures::purge`], and
//! at most [`AuthFailures::MAX_TRACKED`] addresses are tracked at once,
//! so memory stays bounded whatever an attacker sends.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use parking_lot::Mutex;

use crate::{HttpState, Problem};

/// How long an address's count of failures lasts.
const WINDOW: Duration = Duration::from_secs(60);

/// The failures counted so far in one address's current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl Window {
    fn passed(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.started) >= WINDOW
    }
}

/// The limiter shared by all workers.
#[derive(Clone)]
pub struct AuthFailures {
    limit: u32,
    windows: Arc<Mutex<HashMap<IpAddr, Window>>>,
    /// Set once the table is full, so that is logged once per purge.
    full_logged: Arc<AtomicBool>,
}

/// What failures count against: the address, or its /64 for IPv6.
fn bucket(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

impl AuthFailures {
    /// Most addresses tracked at once (a few MB at most).
    pub const MAX_TRACKED: usize = 100_000;

    /// How often [`AuthFailures::purge`] is worth running.
    pub const PURGE_EVERY: Duration = WINDOW;

    /// `per_minute` failures per address and minute; `None` when 0
    /// (limiting off).
    pub fn new(per_minute: u32) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            limit: per_minute,
            windows: Arc::default(),
            full_logged: Arc::default(),
        })
    }

    /// `Err(wait)` while `client` has used up its failures: how long until
    /// its window passes.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let windows = self.windows.lock();
        match windows.get(&bucket(client)) {
            Some(w) if !w.passed(now) && w.failures >= self.limit => {
                Err((w.started + WINDOW).saturating_duration_since(now))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failed authentication of `client`.
    pub fn record(&self, client: IpAddr, now: Instant) {
        let key = bucket(client);
        let mut windows = self.windows.lock();
        if !windows.contains_key(&key) && windows.len() >= Self::MAX_TRACKED {
            windows.retain(|_, w| !w.passed(now));
            if windows.len() >= Self::MAX_TRACKED {
                if !self.full_logged.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        tracked = windows.len(),
                        "failed-authentication table full: new addresses are not limited until old windows pass"
                    );
                }
                return;
            }
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            failures: 0,
        });
        if window.passed(now) {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
        if window.failures == self.limit {
            tracing::warn!(client = %key, failures = self.limit, "too many failed authentications: address refused for the rest of the minute");
        }
    }

    /// Forgets windows that passed, so the table stays small.
    pub fn purge(&self) {
        let now = Instant::now();
        let mut windows = self.windows.lock();
        windows.retain(|_, w| !w.passed(now));
        if windows.capacity() > 4 * windows.len().max(64) {
            windows.shrink_to_fit();
        }
        self.full_logged.store(false, Ordering::Relaxed);
    }

    /// How many addresses are tracked now.
    pub fn tracked(&self) -> usize {
        self.windows.lock().len()
    }
}

/// The routes that take credentials.
fn authenticated(path: &str) -> bool {
    path == "/v1"
        || path.starts_with("/v1/")
        || path == "/admin/v1"
        || path.starts_with("/admin/v1/")
}

/// The challenge of a 401 (RFC 6750 §3): the realm, and `invalid_token`
/// when a bearer token was presented (none for a request without one).
fn challenge(path: &str, presented: bool) -> HeaderValue {
    let realm = if path.starts_with("/admin/") {
        "thunderphone-operator"
    } else {
        "thunderphone"
    };
    let value = if presented {
        format!("Bearer realm=\"{realm}\", error=\"invalid_token\"")
    } else {
        format!("Bearer realm=\"{realm}\"")
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("Bearer"))
}

/// The middleware: wrap it outside everything that authenticates.
pub async fn auth_failures<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let path = req.path().to_owned();
    if !authenticated(&path) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let state = req.app_data::<web::Data<HttpState>>().cloned();
    let limiter = state.as_ref().and_then(|s| s.auth_failures.clone());
    let client = state.as_ref().and_then(|s| {
        s.trusted_proxies
            .client(req.peer_addr().map(|a| a.ip()), req.headers())
    });
    if let (Some(limiter), Some(client)) = (&limiter, client)
        && let Err(wait) = limiter.check(client, Instant::now())
    {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed authentications from this address; retry after {seconds} s"),
        );
        problem.retry_after = Some(u32::try_from(seconds.max(1)).unwrap_or(u32::MAX));
        return Ok(req
            .into_response(problem.error_response())
            .map_into_right_body());
    }
    let presented = crate::extract::bearer(req.request()).is_some();
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::UNAUTHORIZED {
        if let (Some(limiter), Some(client)) = (&limiter, client) {
            limiter.record(client, Instant::now());
        }
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge(&path, presented));
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn the_limit_holds_until_the_window_passes() {
        let Some(limiter) = AuthFailures::new(3) else {
            panic!("limiter")
        };
        let t0 = Instant::now();
        let client = ip("203.0.113.7");
        for i in 0..3 {
            assert_eq!(limiter.check(client, t0), Ok(()), "failure {i} allowed");
            limiter.record(client, t0);
        }
        let later = t0 + Duration::from_secs(20);
        assert_eq!(
            limiter.check(client, later),
            Err(Duration::from_secs(40)),
            "refused for the rest of the minute"
        );
        assert_eq!(limiter.check(ip("203.0.113.8"), later), Ok(()));
        let passed = t0 + WINDOW;
        assert_eq!(limiter.check(client, passed), Ok(()));
        limiter.record(client, passed);
        assert_eq!(limiter.check(client, passed), Ok(()), "a new window");
    }

    #[test]
    fn ipv6_addresses_count_per_64() {
        let Some(limiter) = AuthFailures::new(2) else {
            panic!("limiter")
        };
        let now = Instant::now();
        limiter.record(ip("2001:db8:1:2::1"), now);
        limiter.record(ip("2001:db8:1:2::ffff"), now);
        assert!(limiter.check(ip("2001:db8:1:2:abcd::9"), now).is_err());
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), now), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let Some(limiter) = AuthFailures::new(5) else {
            panic!("limiter")
        };
        let long_ago = Instant::now();
        for i in 0..AuthFailures::MAX_TRACKED as u32 + 10 {
            limiter.record(IpAddr::from(i.to_be_bytes()), long_ago);
        }
        assert_eq!(limiter.tracked(), AuthFailures::MAX_TRACKED);
        // Once windows pass, a new address makes room by dropping them.
        limiter.record(ip("203.0.113.7"), long_ago + WINDOW);
        assert_eq!(limiter.tracked(), 1);
        limiter.purge();
        assert!(limiter.tracked() <= 1);
    }

    #[test]
    fn zero_turns_limiting_off() {
        assert!(AuthFailures::new(0).is_none());
    }

    #[test]
    fn challenges_name_the_realm_and_the_error() {
        assert_eq!(
            challenge("/v1/me", false),
            HeaderValue::from_static("Bearer realm=\"thunderphone\"")
        );
        assert_eq!(
            challenge("/admin/v1/orgs", true),
            HeaderValue::from_static(
                "Bearer realm=\"thunderphone-operator\", error=\"invalid_token\""
            )
        );
    }
}
