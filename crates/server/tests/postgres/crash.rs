//! `kill -9` in the middle of 200 activations: after a restart every number
//! ends `active`, none stays `provisioning`, none is activated twice.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use thunderphone_test_db::TestDb;

use crate::harness::{Api, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_provisioning_loses_no_job_and_runs_none_twice() {
    let db = TestDb::create();
    let api = Api::new();
    // Slow activations, so the crash lands while many are in flight. The
    // lease (twice the attempt timeout, at least 5 s) decides how soon the
    // next instance takes the orphaned jobs over.
    let slow = [
        ("THUNDERPHONE_DEMO_ACTIVATION_MS", "1500"),
        ("THUNDERPHONE_ACTIVATION_ATTEMPT_TIMEOUT_MS", "2500"),
    ];
    let a = Server::start(db.url(), &slow).await;
    let (_, _, key) = api.tenant(&a.base, "acme").await;
    let started = Instant::now();
    let created =
        join_all((0..200).map(|_| api.post(&a.base, "/v1/phone-numbers", &key, json!({})))).await;
    assert!(
        created.iter().all(|(s, _)| s.as_u16() == 201),
        "every provision is reserved"
    );
    // Crash as soon as the first activations land, with most in flight.
    let mut before_crash = 0;
    while before_crash == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no activation finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        before_crash = api.all_numbers(&a.base, &key, "&status=active").await.len();
    }
    a.crash();
    eprintln!("crashed with {before_crash} of 200 active");

    let b = Server::start(db.url(), &[("THUNDERPHONE_DEMO_ACTIVATION_MS", "20")]).await;
    api.settle(&b.base, &key, Duration::from_secs(60)).await;
    let numbers = api.all_numbers(&b.base, &key, "").await;
    assert_eq!(numbers.len(), 200);
    assert!(
        numbers.iter().all(|n| n["status"] == "active"),
        "every number ends active"
    );
    for n in &numbers {
        let changes = api.changes(&b.base, &key, n["id"].as_i64().unwrap()).await;
        assert_eq!(
            changes,
            vec!["activated", "created"],
            "number {} activated exactly once",
            n["id"]
        );
    }
    b.stop();
}
