//! The shared repository contract suite, run against [`PgStore`]: every
//! case gets a database of its own, migrated from scratch and dropped
//! with the store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_test_db::TestDb;

/// A fresh database with the schema, and a store on it that owns the
/// database (dropped after the store's pool is closed).
async fn fresh_store() -> Arc<PgStore> {
    let db = tokio::task::spawn_blocking(TestDb::migrated)
        .await
        .expect("create the test database");
    let options = PoolOptions {
        max_size: 8,
        connection_timeout: Duration::from_secs(30),
        statement_timeout: Duration::from_secs(30),
    };
    let store = PgStore::connect(db.url(), options)
        .expect("pool options are valid")
        .with_guard(db);
    Arc::new(store)
}

thunderphone_store_contract::contract_tests!(fresh_store);
