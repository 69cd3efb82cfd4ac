//! Agents (API.md §12).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn agent_lifecycle() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let r = app
        .post("/v1/agents", &t.key, json!({ "name": " Front desk " }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/agents/{id}").as_str())
    );
    assert_eq!(r.body["name"], "Front desk");
    assert_eq!(r.body["org_id"], t.org_id);
    assert!(r.body["created_at"].is_string());
    let renamed = app
        .patch(
            &format!("/v1/agents/{id}"),
            &t.key,
            json!({ "name": "Reception" }),
        )
        .await;
    assert_eq!(renamed.body["name"], "Reception");
    assert_eq!(
        app.get(&format!("/v1/agents/{id}"), &t.key).await.body["name"],
        "Reception"
    );
    app.patch(&format!("/v1/agents/{id}"), &t.key, json!({ "name": "" }))
        .await
        .assert_problem(422, "validation_failed");
    app.patch(
        &format!("/v1/agents/{id}"),
        &t.key,
        json!({ "name": "x".repeat(101) }),
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(
        app.delete(&format!("/v1/agents/{id}"), &t.key).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/v1/agents/{id}"), &t.key)
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/v1/agents/{id}"), &t.key)
        .await
        .assert_problem(404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn agents_in_use_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let agent = app.create_agent(&t.key, "Front").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    app.patch(&path, &t.key, json!({ "outbound_agent_id": agent }))
        .await;
    app.delete(&format!("/v1/agents/{agent}"), &t.key)
        .await
        .assert_problem(409, "agent_in_use");
    app.patch(&path, &t.key, json!({ "outbound_agent_id": null }))
        .await;
    assert_eq!(
        app.delete(&format!("/v1/agents/{agent}"), &t.key)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.stop().await;
}

#[tokio::test]
async fn agents_paginate() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_agent(&t.key, &format!("Agent {i}")).await);
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut path = "/v1/agents?limit=2".to_owned();
    loop {
        let page = app.get(&path, &t.key).await;
        seen.extend(
            page.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_i64().unwrap()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/agents?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, created);
    app.get("/v1/agents?limit=0", &t.key)
        .await
        .assert_problem(422, "validation_failed");
    app.stop().await;
}
