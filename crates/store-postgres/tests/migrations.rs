//! The migrations run up, down and up again to the same schema, and a
//! store whose database cannot be reached reports `Unavailable`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;
use thunderphone_domain::{AgentId, OrgId};
use thunderphone_ports::{AgentRepository, RepoError, StoreHealth};
use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_test_db::TestDb;

/// One line per column, index and constraint of the public schema, sorted:
/// equal strings mean equal schemas.
fn schema(url: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }
    let mut conn = PgConnection::establish(url).unwrap();
    let queries = [
        "SELECT concat_ws(' ', 'column', table_name, column_name, data_type, is_nullable, \
                column_default, is_identity, identity_generation) AS line \
         FROM information_schema.columns WHERE table_schema = 'public'",
        "SELECT concat_ws(' ', 'index', tablename, indexname, indexdef) AS line \
         FROM pg_indexes WHERE schemaname = 'public'",
        "SELECT concat_ws(' ', 'constraint', conrelid::regclass::text, conname, \
                pg_get_constraintdef(oid)) AS line \
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    ];
    let mut lines: Vec<String> = queries
        .iter()
        .flat_map(|q| diesel::sql_query(*q).load::<Line>(&mut conn).unwrap())
        .map(|l| l.line)
        .collect();
    lines.sort();
    lines
}

/// The application's tables (not diesel's bookkeeping).
fn tables(url: &str) -> Vec<String> {
    schema(url)
        .into_iter()
        .filter(|l| l.starts_with("column ") && !l.contains("__diesel_schema_migrations"))
        .filter_map(|l| l.split(' ').nth(1).map(str::to_owned))
        .collect()
}

fn store(url: &str) -> PgStore {
    PgStore::connect(url, PoolOptions::default()).unwrap()
}

#[tokio::test]
async fn up_down_up_gives_the_same_schema() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let store = store(db.url());

    store.run_migrations().await.expect("up");
    let first = schema(db.url());
    for table in [
        "orgs",
        "users",
        "memberships",
        "api_keys",
        "agents",
        "voip_connections",
        "phone_numbers",
        "phone_number_versions",
        "activation_jobs",
        "demo_pool",
    ] {
        assert!(
            first
                .iter()
                .any(|l| l.starts_with(&format!("column {table} "))),
            "table {table} exists"
        );
    }
    assert!(
        first
            .iter()
            .any(|l| l.contains("phone_numbers_number_held")
                && l.contains("WHERE (deleted_at IS NULL)")),
        "the one-holder-per-number index is partial: {first:#?}"
    );

    store
        .run_migrations()
        .await
        .expect("running again is a no-op");
    assert_eq!(schema(db.url()), first);

    store.revert_all_migrations().await.expect("down");
    assert_eq!(
        tables(db.url()),
        Vec::<String>::new(),
        "down drops every table"
    );

    store.run_migrations().await.expect("up again");
    assert_eq!(schema(db.url()), first, "up again restores the same schema");
    drop(store);
    drop(db);
}

/// Nothing listens on port 1: calls fail with `Unavailable` once the
/// connection timeout has passed, and do not hang.
#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let options = PoolOptions {
        max_size: 2,
        connection_timeout: Duration::from_millis(500),
        ..PoolOptions::default()
    };
    let store = PgStore::connect("postgres://postgres@127.0.0.1:1/postgres", options)
        .expect("connect opens nothing yet");
    let started = Instant::now();
    let ping = store.ping().await;
    assert!(matches!(ping, Err(RepoError::Unavailable(_))), "{ping:?}");
    let found = store
        .find_agent(OrgId::new(1).unwrap(), AgentId::new(1).unwrap())
        .await;
    assert!(matches!(found, Err(RepoError::Unavailable(_))), "{found:?}");
    let migrated = store.run_migrations().await;
    assert!(
        matches!(migrated, Err(RepoError::Unavailable(_))),
        "{migrated:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the timeout"
    );
}

#[test]
fn pool_options_are_checked() {
    let zero = PoolOptions {
        max_size: 0,
        ..PoolOptions::default()
    };
    assert!(matches!(
        PgStore::connect("postgres://localhost/x", zero),
        Err(RepoError::Unexpected(_))
    ));
    let instant = PoolOptions {
        connection_timeout: Duration::ZERO,
        ..PoolOptions::default()
    };
    assert!(PgStore::connect("postgres://localhost/x", instant).is_err());
    let unbounded = PoolOptions {
        statement_timeout: Duration::ZERO,
        ..PoolOptions::default()
    };
    assert!(PgStore::connect("postgres://localhost/x", unbounded).is_err());
}

#[test]
fn debug_never_shows_the_url() {
    let store = PgStore::connect(
        "postgres://app:hunter2@127.0.0.1:1/db",
        PoolOptions::default(),
    )
    .unwrap();
    let printed = format!("{store:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(printed.contains("max_size: 10"), "{printed}");
}
