//! Checks that need the store's private parts.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Text;
use thunderphone_test_db::TestDb;

use crate::schema::{
    activation_jobs, agents, api_keys, console_sessions, demo_pool, events, idempotency_keys,
    memberships, orgs, phone_number_versions, phone_numbers, users, voip_connections,
    webhook_deliveries, webhook_endpoints,
};
use crate::{PgStore, PoolOptions};

/// A fresh, migrated database (dropped with the guard) and a connection.
pub(crate) fn migrated_connection() -> (TestDb, PgConnection) {
    let db = TestDb::migrated();
    let conn = PgConnection::establish(db.url()).unwrap();
    (db, conn)
}

/// How many statements prepared on `conn` contain `fragment`.
pub(crate) fn prepared_statements(conn: &mut PgConnection, fragment: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE strpos(statement, $1) > 0",
    )
    .bind::<Text, _>(fragment)
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

/// The columns `schema.rs` selects for a table, in order, read off the SQL
/// Diesel generates for `SELECT <all columns>`.
fn declared<Q: diesel::query_builder::QueryFragment<Pg>>(query: Q) -> Vec<String> {
    let sql = diesel::debug_query::<Pg, _>(&query).to_string();
    let select = sql
        .split(" FROM ")
        .next()
        .unwrap_or_default()
        .trim_start_matches("SELECT ");
    select
        .split(", ")
        .filter_map(|column| column.rsplit('.').next())
        .map(|column| column.trim_matches('"').to_owned())
        .collect()
}

/// The columns of a table in the migrated database, in order.
fn migrated(conn: &mut PgConnection, table: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    diesel::sql_query(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind::<Text, _>(table)
    .load::<Column>(conn)
    .unwrap()
    .into_iter()
    .map(|c| c.column_name)
    .collect()
}

/// `schema.rs` is written by hand: every table it declares must have
/// exactly the migrated columns, in the same order (column types are
/// exercised by the contract suite, which writes and reads every column).
#[tokio::test]
async fn schema_rs_matches_the_migrations() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let store = PgStore::connect(db.url(), PoolOptions::default()).unwrap();
    store.run_migrations().await.unwrap();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    let tables = [
        ("orgs", declared(orgs::table.select(orgs::all_columns))),
        ("users", declared(users::table.select(users::all_columns))),
        (
            "memberships",
            declared(memberships::table.select(memberships::all_columns)),
        ),
        (
            "api_keys",
            declared(api_keys::table.select(api_keys::all_columns)),
        ),
        (
            "agents",
            declared(agents::table.select(agents::all_columns)),
        ),
        (
            "voip_connections",
            declared(voip_connections::table.select(voip_connections::all_columns)),
        ),
        (
            "phone_numbers",
            declared(phone_numbers::table.select(phone_numbers::all_columns)),
        ),
        (
            "phone_number_versions",
            declared(phone_number_versions::table.select(phone_number_versions::all_columns)),
        ),
        (
            "activation_jobs",
            declared(activation_jobs::table.select(activation_jobs::all_columns)),
        ),
        (
            "demo_pool",
            declared(demo_pool::table.select(demo_pool::all_columns)),
        ),
        (
            "idempotency_keys",
            declared(idempotency_keys::table.select(idempotency_keys::all_columns)),
        ),
        (
            "events",
            declared(events::table.select(events::all_columns)),
        ),
        (
            "webhook_endpoints",
            declared(webhook_endpoints::table.select(webhook_endpoints::all_columns)),
        ),
        (
            "webhook_deliveries",
            declared(webhook_deliveries::table.select(webhook_deliveries::all_columns)),
        ),
        (
            "console_sessions",
            declared(console_sessions::table.select(console_sessions::all_columns)),
        ),
    ];
    for (table, columns) in &tables {
        assert!(!columns.is_empty(), "{table}: no columns parsed");
        assert_eq!(&migrated(&mut conn, table), columns, "table {table}");
    }
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        table_name: String,
    }
    let mut in_database: Vec<String> = diesel::sql_query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load::<Table>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|t| t.table_name)
    .collect();
    in_database.sort();
    let mut declared_tables: Vec<String> = tables.iter().map(|(t, _)| (*t).to_owned()).collect();
    declared_tables.sort();
    assert_eq!(in_database, declared_tables, "every table is in schema.rs");
    drop(conn);
    drop(store);
}

/// `prepare_pool` creates every line of the given area codes, free, before
/// any claim; running it again changes nothing.
#[tokio::test]
async fn prepare_pool_creates_the_rows_ahead_of_claims() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let store = PgStore::connect(db.url(), PoolOptions::default()).unwrap();
    store.run_migrations().await.unwrap();
    let codes = ["212", "415"].map(|c| thunderphone_domain::AreaCode::parse(c).unwrap());
    store.prepare_pool(&codes).await.unwrap();
    store.prepare_pool(&codes).await.unwrap();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    let rows: Vec<(String, bool)> = demo_pool::table
        .select((demo_pool::area_code, demo_pool::held))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 200);
    assert_eq!(rows.iter().filter(|(c, _)| c == "212").count(), 100);
    assert!(rows.iter().all(|(_, held)| !held));
}

/// Keyed reads use two connections at most, and never more than half the
/// pool (at least one).
#[test]
fn keyed_reads_leave_the_pool_to_other_calls() {
    let runners = |size| crate::keyed_read_limits(size).max_runners;
    assert_eq!(runners(1), 1);
    assert_eq!(runners(2), 1);
    assert_eq!(runners(3), 1);
    assert_eq!(runners(4), 2);
    assert_eq!(runners(16), 2);
    assert!(crate::keyed_read_limits(16).max_batch > 1);
}

/// Waits (up to 10 s) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..5_000 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Keyed finds that arrive while the statements in flight wait are
/// answered together by the next statement, each with its own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_finds_waiting_for_a_statement_share_the_next_one() {
    use std::sync::Arc;

    use thunderphone_domain::{PhoneNumber, PhoneNumberId};
    use thunderphone_ports::{KeyedReads, RepoError};
    use thunderphone_store_contract::fixtures::{at, claim, missing_number, tenant};

    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let store = Arc::new(PgStore::connect(db.url(), PoolOptions::default()).unwrap());
    store.run_migrations().await.unwrap();
    let acme = tenant(&*store, "acme").await;
    let ours = claim(&*store, acme.org_id, "415", at(1)).await;

    // The key table, locked: the statements in flight wait on the lock.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel();
    let url = db.url().to_owned();
    let holder = std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            diesel::sql_query("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE").execute(conn)?;
            locked.send(()).unwrap();
            let _ = released.recv();
            Ok(())
        })
        .unwrap();
    });
    tokio::task::spawn_blocking(move || is_locked.recv().unwrap())
        .await
        .unwrap();

    // The number a find of `id` returns, if the key is accepted.
    let find = |id: PhoneNumberId| {
        let store = Arc::clone(&store);
        let hash = acme.key_hash.clone();
        tokio::spawn(async move {
            let found = store.find_number_for_key(&hash, id).await?;
            Ok::<_, RepoError>(found.map(|found| found.value))
        })
    };
    let batches = || store.keyed_reads.batches();
    let first = find(ours.id());
    eventually("a first batch", || batches() == 1).await;
    let second = find(missing_number());
    eventually("a second batch", || batches() == 2).await;
    let asked: Vec<Option<PhoneNumber>> = (0..48)
        .map(|n| (n % 2 == 0).then(|| ours.clone()))
        .collect();
    let rest: Vec<_> = asked
        .iter()
        .map(|number| find(number.as_ref().map_or(missing_number(), PhoneNumber::id)))
        .collect();
    eventually("48 waiting calls", || store.keyed_reads.waiting() == 48).await;
    release.send(()).unwrap();
    tokio::task::spawn_blocking(move || holder.join().unwrap())
        .await
        .unwrap();

    assert_eq!(first.await.unwrap(), Ok(Some(Some(ours.clone()))));
    assert_eq!(second.await.unwrap(), Ok(Some(None)));
    for (number, call) in asked.into_iter().zip(rest) {
        assert_eq!(call.await.unwrap(), Ok(Some(number)));
    }
    assert_eq!(batches(), 3, "the 48 waiting calls went in one statement");
}
