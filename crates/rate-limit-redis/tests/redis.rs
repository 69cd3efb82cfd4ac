//! The adapter against the Redis every development and CI machine runs at
//! 127.0.0.1:6379. Each test uses its own key prefix and deletes its keys.
//! Without that Redis these tests fail, saying so: never skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use futures::future::join_all;
use redis::AsyncCommands;
use thunderphone_ports::{Quota, RateLimitError, RateLimitStore, Take};
use thunderphone_rate_limit_redis::RedisRateLimits;

const REDIS: &str = "redis://127.0.0.1:6379/";

fn quota(per_second: u32, burst: u32) -> Quota {
    Quota {
        per_second: NonZeroU32::new(per_second).unwrap(),
        burst: NonZeroU32::new(burst).unwrap(),
    }
}

fn unique_prefix() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("thunderphone-test:{hex}:")
}

/// A connection for checks and clean-up, or a clear failure.
async fn redis() -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(REDIS).unwrap();
    match tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    {
        Ok(Ok(conn)) => conn,
        other => panic!(
            "this test needs Redis at {REDIS} (start redis-server; CI machines run it): {other:?}"
        ),
    }
}

async fn clean(prefix: &str) {
    let mut conn = redis().await;
    let keys: Vec<String> = conn.keys(format!("{prefix}*")).await.unwrap();
    if !keys.is_empty() {
        let _: () = conn.del(keys).await.unwrap();
    }
}

#[tokio::test]
async fn a_burst_then_refusal_then_refill() {
    let prefix = unique_prefix();
    let limits = RedisRateLimits::connect(REDIS, &prefix, Duration::from_millis(500)).unwrap();
    let q = quota(10, 3);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        match limits.take("key:1", q).await.unwrap() {
            Take::Admitted {
                remaining: r,
                full_in,
            } => {
                assert!(full_in <= Duration::from_millis(300), "{full_in:?}");
                remaining.push(r);
            }
            refused => panic!("within the burst: {refused:?}"),
        }
    }
    assert_eq!(remaining, [2, 1, 0]);
    let Take::Refused { retry_after } = limits.take("key:1", q).await.unwrap() else {
        panic!("the 4th must be refused")
    };
    assert!(retry_after <= Duration::from_millis(100), "{retry_after:?}");
    assert!(
        matches!(
            limits.take("key:2", q).await.unwrap(),
            Take::Admitted { .. }
        ),
        "buckets are per name"
    );
    tokio::time::sleep(retry_after).await;
    assert!(matches!(
        limits.take("key:1", q).await.unwrap(),
        Take::Admitted { .. }
    ));
    // The bucket is one key under the prefix, expiring once full.
    let mut conn = redis().await;
    let ttl: i64 = conn.pttl(limits.key("key:1")).await.unwrap();
    assert!((1..=400).contains(&ttl), "{ttl}");
    clean(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_sharing_redis_enforce_one_limit() {
    let prefix = unique_prefix();
    let a = RedisRateLimits::connect(REDIS, &prefix, Duration::from_millis(500)).unwrap();
    let b = RedisRateLimits::connect(REDIS, &prefix, Duration::from_millis(500)).unwrap();
    let q = quota(1, 20);
    let takes = join_all((0..60).map(|i| {
        let limits = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move { limits.take("key:7", q).await.unwrap() })
    }))
    .await;
    let admitted = takes
        .iter()
        .filter(|t| matches!(t.as_ref().unwrap(), Take::Admitted { .. }))
        .count();
    assert_eq!(admitted, 20, "one bucket of 20 across both");
    clean(&prefix).await;
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_within_the_timeout() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let limits = RedisRateLimits::connect(
        &format!("redis://127.0.0.1:{port}/"),
        "unused:",
        Duration::from_millis(200),
    )
    .unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(5), limits.take("key:1", quota(1, 1)))
        .await
        .expect("bounded");
    assert!(
        matches!(result, Err(RateLimitError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(RedisRateLimits::connect("not a url", "p:", Duration::from_millis(1)).is_err());
}
