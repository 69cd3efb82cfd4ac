//! The keyed read on per-thread asynchronous connections: bounded per
//! thread, replaced when lost, `Unavailable` when the database is.

use std::time::Duration;

use futures::future::join_all;
use thunderphone_ports::{NumberRepository, RepoError};
use thunderphone_store_contract::fixtures::{at, claim, tenant};
use thunderphone_store_postgres::{PgStore, PoolOptions, READ_CONNECTIONS};

use crate::support::{count, fresh, kill_connections};

fn read_connections(url: &str) -> i64 {
    count(
        url,
        &format!(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = '{READ_CONNECTIONS}'"
        ),
    )
}

/// Forty reads at once on one thread share its connections: with a pool
/// of one, that is a single read connection, and every read is answered.
#[tokio::test]
async fn concurrent_reads_share_the_threads_connections() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let options = PoolOptions {
        max_size: 1,
        connection_timeout: Duration::from_secs(30),
    };
    let reader = PgStore::connect(&url, options).unwrap();

    let reads = (0..40).map(|_| reader.find_number_for_key(&acme.key_hash, number.id()));
    for read in join_all(reads).await {
        let found = read.unwrap().expect("a live key");
        assert_eq!(found.principal.org_id, acme.org_id);
        assert_eq!(found.value.as_ref(), Some(&number));
    }
    assert_eq!(read_connections(&url), 1);
    drop(reader);
}

/// A read connection the server dropped fails at most the one read that
/// finds out (`Unavailable`); the next read opens a new one.
#[tokio::test]
async fn a_lost_read_connection_is_replaced() {
    let (store, url) = fresh().await;
    let acme = tenant(&*store, "acme").await;
    let number = claim(&*store, acme.org_id, "415", at(1)).await;
    let read = || store.find_number_for_key(&acme.key_hash, number.id());
    assert!(read().await.unwrap().is_some());
    assert!(read_connections(&url) >= 1);

    assert!(kill_connections(&url) >= 1);
    match read().await {
        Ok(found) => assert!(found.is_some()),
        Err(error) => assert!(matches!(error, RepoError::Unavailable(_)), "{error:?}"),
    }
    let found = read().await.unwrap().expect("a live key");
    assert_eq!(found.value, Some(number));
}

/// Nothing listening: the read is `Unavailable` within the timeout.
#[tokio::test]
async fn an_unreachable_database_is_unavailable_for_reads() {
    let options = PoolOptions {
        max_size: 2,
        connection_timeout: Duration::from_secs(2),
    };
    let store = PgStore::connect("postgres://postgres@127.0.0.1:1/postgres", options).unwrap();
    let id = thunderphone_domain::PhoneNumberId::new(1).unwrap();
    let read = store.find_number_for_key("hash-acme", id).await;
    assert!(matches!(read, Err(RepoError::Unavailable(_))), "{read:?}");
}
