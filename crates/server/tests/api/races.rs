//! Concurrency: racing requests keep the invariants.

use std::collections::HashSet;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_provisions_exhaust_an_area_code_exactly() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    // Alaska has one area code: 100 numbers, then nothing.
    let results =
        join_all((0..130).map(|_| app.provision(&t.key, json!({ "area_code": "907" })))).await;
    let created: Vec<_> = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 100);
    let numbers: HashSet<_> = created
        .iter()
        .map(|r| r.body["number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers.len(), 100, "no number handed out twice");
    for r in results.iter().filter(|r| r.status != StatusCode::CREATED) {
        r.assert_problem(409, "no_numbers_available");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_if_match_wins() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    let etag = format!("\"{}\"", n["version"]);
    let mut agents = Vec::new();
    for i in 0..10 {
        agents.push(app.create_agent(&t.key, &format!("A{i}")).await);
    }
    let results = join_all(agents.iter().map(|a| {
        app.send(
            app.req(Method::PATCH, &path, &t.key)
                .header("If-Match", etag.as_str())
                .json(&json!({ "inbound_agent_id": a })),
        )
    }))
    .await;
    let wins = results
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(wins, 1);
    for r in results.iter().filter(|r| r.status != StatusCode::OK) {
        r.assert_problem(412, "precondition_failed");
    }
    let history = app.get(&format!("{path}/versions"), &t.key).await;
    assert_eq!(history.body["data"].as_array().unwrap().len(), 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unconditional_writes_all_land_in_history() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    let mut agents = Vec::new();
    for i in 0..8 {
        agents.push(app.create_agent(&t.key, &format!("A{i}")).await);
    }
    let results = join_all(
        agents
            .iter()
            .map(|a| app.patch(&path, &t.key, json!({ "outbound_agent_id": a }))),
    )
    .await;
    assert!(
        results.iter().all(|r| r.status == StatusCode::OK),
        "{results:?}"
    );
    let history = app.get(&format!("{path}/versions?limit=200"), &t.key).await;
    let versions: Vec<i64> = history.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=10).rev().collect::<Vec<_>>(),
        "one version per change, none lost"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_racing_transfer_leaves_one_consistent_outcome() {
    let app = TestApp::spawn().await;
    let t = app.tenant("admin").await;
    let target = app.create_org("Target").await;
    let target_key = app.join(t.user_id, target, "admin").await;
    for _ in 0..5 {
        let n = app.active_number(&t.key, "415").await;
        let path = format!("/v1/phone-numbers/{}", n["id"]);
        let transfer_path = format!("{path}/transfer");
        let (deleted, moved) = tokio::join!(
            app.delete(&path, &t.key),
            app.post(&transfer_path, &t.key, json!({ "target_org_id": target }))
        );
        match (deleted.status, moved.status) {
            (StatusCode::NO_CONTENT, StatusCode::NOT_FOUND) => {
                app.get(&path, &target_key)
                    .await
                    .assert_problem(404, "not_found");
            }
            (StatusCode::NOT_FOUND, StatusCode::OK) => {
                assert_eq!(app.get(&path, &target_key).await.body["org_id"], target);
            }
            other => panic!(
                "unexpected outcome {other:?}: {:?} {:?}",
                deleted.body, moved.body
            ),
        }
        // Clean up for the next round: the pool number must be free again.
        app.delete(&path, &target_key).await;
    }
    app.stop().await;
}
