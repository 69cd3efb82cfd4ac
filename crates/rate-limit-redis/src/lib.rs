//! Rate-limit buckets in Redis ([`RateLimitStore`]), so that every
//! instance of the service enforces one limit per API key (API.md §17).
//!
//! Each request is one `EVALSHA` of a GCRA step written in Lua
//! (`gcra.lua`): read, decide and write happen atomically inside Redis,
//! with Redis's clock, and a bucket is one short string key that expires
//! when the bucket is full again. The connection is a `redis`
//! `ConnectionManager`: one multiplexed connection per process, reopened
//! in the background when it drops. Calls are bounded by a timeout; what
//! to do when Redis cannot be reached is the caller's decision.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use thunderphone_ports::{Quota, RateLimitError, RateLimitStore, Take};

/// The GCRA step.
const GCRA: &str = include_str!("gcra.lua");

/// Buckets under one key prefix of one Redis.
#[derive(Clone)]
pub struct RedisRateLimits {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
}

/// Never prints the URL: it may hold a password.
impl fmt::Debug for RedisRateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimits")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: impl fmt::Display) -> RateLimitError {
    RateLimitError::Unavailable(error.to_string())
}

impl RedisRateLimits {
    /// Buckets in the Redis at `url` (`redis://[:password@]host:port/db`),
    /// every key starting with `prefix`. Connects lazily: an unreachable
    /// Redis is not an error here, only in [`RateLimitStore::take`]. Each
    /// connection attempt and each answer is bounded by `timeout`. Must be
    /// called within a tokio runtime.
    ///
    /// # Errors
    /// [`RateLimitError::Unavailable`] when `url` is not a Redis URL.
    pub fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<Self, RateLimitError> {
        let client = Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            script: Script::new(GCRA),
        })
    }

    /// The Redis key of a bucket.
    pub fn key(&self, bucket: &str) -> String {
        format!("{}rate:{bucket}", self.prefix)
    }
}

fn micros(value: i64) -> Duration {
    Duration::from_micros(u64::try_from(value).unwrap_or(0))
}

#[async_trait]
impl RateLimitStore for RedisRateLimits {
    async fn take(&self, bucket: &str, quota: Quota) -> Result<Take, RateLimitError> {
        let interval = (1_000_000 / u64::from(quota.per_second.get())).max(1);
        let mut conn = self.conn.clone();
        let (admitted, remaining, retry_after, full_in): (i64, i64, i64, i64) = self
            .script
            .key(self.key(bucket))
            .arg(interval)
            .arg(quota.burst.get())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(if admitted == 1 {
            Take::Admitted {
                remaining: u32::try_from(remaining).unwrap_or(0),
                full_in: micros(full_in),
            }
        } else {
            Take::Refused {
                retry_after: micros(retry_after),
            }
        })
    }
}
