//! A fresh migrated store per test, and raw SQL probes of its database.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_test_db::TestDb;

/// A migrated store on a fresh database, and the database's URL.
pub async fn fresh() -> (Arc<PgStore>, String) {
    let db = tokio::task::spawn_blocking(TestDb::migrated).await.unwrap();
    let url = db.url().to_owned();
    let options = PoolOptions {
        max_size: 8,
        connection_timeout: Duration::from_secs(30),
        statement_timeout: Duration::from_secs(30),
    };
    let store = PgStore::connect(&url, options).unwrap().with_guard(db);
    (Arc::new(store), url)
}

/// A text-valued probe.
#[derive(QueryableByName)]
pub struct One {
    #[diesel(sql_type = Nullable<Text>)]
    pub text: Option<String>,
}

/// A count probe.
#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The `text` column of the one row `sql` returns.
pub fn text(url: &str, sql: &str) -> Option<String> {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(sql)
        .get_result::<One>(&mut conn)
        .unwrap()
        .text
}

/// The `n` column of the one row `sql` returns.
pub fn count(url: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

/// Runs one statement.
pub fn execute(url: &str, sql: &str) {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
}
