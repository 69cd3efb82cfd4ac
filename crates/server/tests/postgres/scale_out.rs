//! Two instances on one database: 500 concurrent provisions spread over
//! both get 500 distinct numbers, each activated exactly once, and one
//! `If-Match` wins across instances.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use thunderphone_test_db::TestDb;

use crate::harness::{Api, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_hand_out_a_number_twice() {
    let db = TestDb::create();
    let api = Api::new();
    let env = [("THUNDERPHONE_DEMO_ACTIVATION_MS", "100")];
    let a = Server::start(db.url(), &env).await;
    let b = Server::start(db.url(), &env).await;
    let (_, _, key) = api.tenant(&a.base, "acme").await;
    let bases = [a.base.clone(), b.base.clone()];

    let started = Instant::now();
    let results = join_all((0..500).map(|i| {
        let base = bases[i % 2].clone();
        let api = api.clone();
        let key = key.clone();
        async move { api.post(&base, "/v1/phone-numbers", &key, json!({})).await }
    }))
    .await;
    let elapsed = started.elapsed();
    assert!(
        results
            .iter()
            .all(|(s, b)| s.as_u16() == 201 || panic!("{s} {b}"))
    );
    let numbers: HashSet<String> = results
        .iter()
        .map(|(_, b)| b["number"].as_str().unwrap().to_owned())
        .collect();
    let duplicates = 500 - numbers.len();
    eprintln!(
        "scale-out: 500 provisions over 2 instances in {elapsed:.2?} = {:.0} numbers/s, {duplicates} duplicates",
        500.0 / elapsed.as_secs_f64()
    );
    assert_eq!(duplicates, 0);

    api.settle(&a.base, &key, Duration::from_secs(60)).await;
    for (_, body) in &results {
        let id = body["id"].as_i64().unwrap();
        let base = &bases[(id as usize) % 2];
        assert_eq!(
            api.changes(base, &key, id).await,
            vec!["activated", "created"],
            "job of {id} ran once"
        );
    }

    // One If-Match, twenty writers on two instances: exactly one wins.
    let id = results[0].1["id"].as_i64().unwrap();
    let (_, current) = api
        .get(&a.base, &format!("/v1/phone-numbers/{id}"), &key)
        .await;
    let tag = format!("\"{}\"", current["version"]);
    let writes = join_all((0..20).map(|i| {
        let api = api.clone();
        let url = format!("{}/v1/phone-numbers/{id}", bases[i % 2]);
        let key = key.clone();
        let tag = tag.clone();
        async move {
            let body = json!({ "status": "released" });
            api.call(reqwest::Method::PATCH, url, &key, Some(body), Some(&tag))
                .await
        }
    }))
    .await;
    let wins = writes.iter().filter(|(s, _)| s.as_u16() == 200).count();
    let stale = writes
        .iter()
        .filter(|(s, b)| s.as_u16() == 412 && b["code"] == "precondition_failed")
        .count();
    assert_eq!((wins, stale), (1, 19), "{writes:?}");
    a.stop();
    b.stop();
}
