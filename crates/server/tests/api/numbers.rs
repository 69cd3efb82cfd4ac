//! List, retrieve, update, release and history (API.md §2–§4, §6–§8);
//! provisioning is in `provisioning.rs`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn list_is_newest_first_filtered_and_paginated() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let mut ids = Vec::new();
    for ac in ["415", "415", "212", "415", "212"] {
        ids.push(app.provision(&t.key, json!({ "area_code": ac })).await.id());
    }
    let all = app.get("/v1/phone-numbers", &t.key).await;
    let listed: Vec<i64> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(listed, expected);
    assert!(all.body["next_cursor"].is_null());

    let ny = app.get("/v1/phone-numbers?area_code=212", &t.key).await;
    assert_eq!(ny.body["data"].as_array().unwrap().len(), 2);

    // Walk in pages of 2 while creating more: every original number exactly once.
    let mut seen = Vec::new();
    let mut path = "/v1/phone-numbers?limit=2&source=demo".to_owned();
    loop {
        let page = app.get(&path, &t.key).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(
            page.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_i64().unwrap()),
        );
        app.provision(&t.key, json!({ "area_code": "305" })).await;
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/phone-numbers?limit=2&source=demo&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen, expected,
        "newer numbers appear on later walks, not this one"
    );

    for bad in [
        "limit=0",
        "limit=201",
        "limit=x",
        "status=gone",
        "source=x",
        "inbound_agent_id=-1",
        "voip_connection_id=abc",
        "area_code=12",
        "cursor=garbage",
        "bogus=1",
        "limit=5&limit=6",
    ] {
        app.get(&format!("/v1/phone-numbers?{bad}"), &t.key)
            .await
            .assert_problem(422, "validation_failed");
    }
    app.stop().await;
}

#[tokio::test]
async fn patch_assigns_and_clears_agents_and_toggles_status() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let a1 = app.create_agent(&t.key, "Front desk").await;
    let a2 = app.create_agent(&t.key, "Sales").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);

    let r = app
        .patch(
            &path,
            &t.key,
            json!({ "inbound_agent_id": a1, "outbound_agent_id": a2 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["inbound_agent_id"].as_i64(),
            r.body["outbound_agent_id"].as_i64()
        ),
        (Some(a1), Some(a2))
    );
    assert_eq!(r.body["version"], 3);
    assert_eq!(r.header("etag"), Some("\"3\""));

    // Absent leaves a field alone; null clears it.
    let r = app
        .patch(&path, &t.key, json!({ "outbound_agent_id": null }))
        .await;
    assert_eq!(r.body["inbound_agent_id"], a1);
    assert!(r.body["outbound_agent_id"].is_null());

    // No change → no version.
    let same = app
        .patch(&path, &t.key, json!({ "inbound_agent_id": a1 }))
        .await;
    assert_eq!(same.body["version"], 4);

    let released = app
        .patch(&path, &t.key, json!({ "status": "released" }))
        .await;
    assert_eq!(released.body["status"], "released");
    let back = app
        .patch(&path, &t.key, json!({ "status": "active" }))
        .await;
    assert_eq!(back.body["status"], "active");
    assert_eq!(back.body["version"], 6);

    app.patch(&path, &t.key, json!({ "status": "provisioning" }))
        .await
        .assert_problem(409, "invalid_status_transition");
    app.patch(&path, &t.key, json!({ "status": "failed" }))
        .await
        .assert_problem(409, "invalid_status_transition");
    let paused = app.patch(&path, &t.key, json!({ "status": "paused" })).await;
    paused.assert_problem(422, "validation_failed");
    assert_eq!(
        paused.body["errors"][0]["message"], "must be one of: active released",
        "only what a client may set"
    );
    app.patch(&path, &t.key, json!({ "inbound_agent_id": 999_999 }))
        .await
        .assert_problem(422, "invalid_agent");
    app.patch(&path, &t.key, json!({ "inbound_agent_id": -3 }))
        .await
        .assert_problem(422, "invalid_agent");
    app.patch(&path, &t.key, json!({ "inbound_agent_id": "1" }))
        .await
        .assert_problem(400, "invalid_request");

    let history = app.get(&format!("{path}/versions"), &t.key).await;
    let changes: Vec<_> = history.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        changes,
        vec![
            "status_changed",
            "status_changed",
            "assigned",
            "assigned",
            "activated",
            "created"
        ]
    );
    assert_eq!(history.body["data"][3]["inbound_agent_id"], a1);
    assert_eq!(history.body["data"][0]["version"], 6);
    app.stop().await;
}

#[tokio::test]
async fn provisioning_numbers_cannot_be_released_by_clients() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let id = app.provision(&t.key, json!({})).await.id();
    app.patch(
        &format!("/v1/phone-numbers/{id}"),
        &t.key,
        json!({ "status": "released" }),
    )
    .await
    .assert_problem(409, "invalid_status_transition");
    app.stop().await;
}

#[tokio::test]
async fn put_requires_both_agent_fields() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let a1 = app.create_agent(&t.key, "Front desk").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    let r = app
        .put(&path, &t.key, json!({ "inbound_agent_id": a1 }))
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "outbound_agent_id");
    let ok = app
        .put(
            &path,
            &t.key,
            json!({ "inbound_agent_id": a1, "outbound_agent_id": null }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["inbound_agent_id"], a1);
    let with_status = app
        .put(
            &path,
            &t.key,
            json!({ "inbound_agent_id": null, "outbound_agent_id": null, "status": "released" }),
        )
        .await;
    assert_eq!(with_status.body["status"], "released");
    assert!(with_status.body["inbound_agent_id"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn if_match_guards_every_write() {
    let app = TestApp::spawn().await;
    let t = app.tenant("admin").await;
    let other_org = app.create_org("Target").await;
    app.join(t.user_id, other_org, "admin").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    let stale = "\"1\"";
    let current = format!("\"{}\"", n["version"]);
    let patch = app
        .send(
            app.req(Method::PATCH, &path, &t.key)
                .header("If-Match", stale)
                .json(&json!({ "status": "released" })),
        )
        .await;
    patch.assert_problem(412, "precondition_failed");
    let put = app.send(app.req(Method::PUT, &path, &t.key).header("If-Match", stale).json(&json!({ "inbound_agent_id": null, "outbound_agent_id": null, "status": "released" }))).await;
    put.assert_problem(412, "precondition_failed");
    let transfer = app
        .send(
            app.req(Method::POST, &format!("{path}/transfer"), &t.key)
                .header("If-Match", stale)
                .json(&json!({ "target_org_id": other_org })),
        )
        .await;
    transfer.assert_problem(412, "precondition_failed");
    let delete = app
        .send(
            app.req(Method::DELETE, &path, &t.key)
                .header("If-Match", stale),
        )
        .await;
    delete.assert_problem(412, "precondition_failed");
    let garbage = app
        .send(
            app.req(Method::PATCH, &path, &t.key)
                .header("If-Match", "nonsense")
                .json(&json!({ "status": "released" })),
        )
        .await;
    garbage.assert_problem(412, "precondition_failed");
    // Nothing changed.
    assert_eq!(app.get(&path, &t.key).await.body["version"], n["version"]);
    let ok = app
        .send(
            app.req(Method::PATCH, &path, &t.key)
                .header("If-Match", current.as_str())
                .json(&json!({ "status": "released" })),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let deleted = app
        .send(
            app.req(Method::DELETE, &path, &t.key)
                .header("If-Match", ok.header("etag").unwrap()),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn delete_removes_from_org_and_returns_number_to_pool() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let other = app.tenant("member").await;
    let n = app.active_number(&t.key, "415").await;
    let id = n["id"].as_i64().unwrap();
    let path = format!("/v1/phone-numbers/{id}");
    let r = app.delete(&path, &t.key).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, serde_json::Value::Null);
    app.get(&path, &t.key)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("{path}/versions"), &t.key)
        .await
        .assert_problem(404, "not_found");
    app.delete(&path, &t.key)
        .await
        .assert_problem(404, "not_found");
    let list = app.get("/v1/phone-numbers", &t.key).await;
    assert!(list.body["data"].as_array().unwrap().is_empty());
    // The same number can be provisioned again, by any org.
    let again = app
        .provision(&other.key, json!({ "area_code": "415" }))
        .await;
    assert_eq!(again.body["number"], n["number"]);
    assert_ne!(again.id(), id);
    app.stop().await;
}

#[tokio::test]
async fn released_numbers_stay_listed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let n = app.active_number(&t.key, "415").await;
    app.patch(
        &format!("/v1/phone-numbers/{}", n["id"]),
        &t.key,
        json!({ "status": "released" }),
    )
    .await;
    let list = app.get("/v1/phone-numbers?status=released", &t.key).await;
    assert_eq!(list.body["data"][0]["id"], n["id"]);
    app.stop().await;
}

#[tokio::test]
async fn versions_paginate() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let n = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    for status in ["released", "active", "released", "active"] {
        app.patch(&path, &t.key, json!({ "status": status })).await;
    }
    let mut versions = Vec::new();
    let mut url = format!("{path}/versions?limit=4");
    loop {
        let page = app.get(&url, &t.key).await;
        versions.extend(
            page.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["version"].as_i64().unwrap()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => url = format!("{path}/versions?limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(versions, vec![6, 5, 4, 3, 2, 1]);
    app.get(&format!("{path}/versions?cursor=abc"), &t.key)
        .await
        .assert_problem(422, "validation_failed");
    app.stop().await;
}

/// A cursor is honoured only for the org, list and filters it was issued
/// for; a position written by a client is a 422, never a 500 (API.md §17).
#[tokio::test]
async fn cursors_work_only_where_they_were_issued() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let a = app.tenant("owner").await;
    let b = app.tenant("owner").await;
    for code in ["415", "212", "305"] {
        app.provision(&a.key, json!({ "area_code": code })).await;
        app.provision(&b.key, json!({ "area_code": code })).await;
        app.create_agent(&a.key, &format!("agent {code}")).await;
    }
    let page = app
        .get("/v1/phone-numbers?limit=1&source=demo", &a.key)
        .await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let ok = app
        .get(
            &format!("/v1/phone-numbers?limit=2&source=demo&cursor={cursor}"),
            &a.key,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "the page size may change");
    for (path, key) in [
        (
            format!("/v1/phone-numbers?limit=1&source=demo&cursor={cursor}"),
            &b.key,
        ),
        (format!("/v1/phone-numbers?limit=1&cursor={cursor}"), &a.key),
        (
            format!("/v1/phone-numbers?limit=1&source=voip&cursor={cursor}"),
            &a.key,
        ),
        (format!("/v1/agents?limit=1&cursor={cursor}"), &a.key),
    ] {
        let r = app.get(&path, key).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "cursor", "{path}");
    }
    let agents = app.get("/v1/agents?limit=1", &a.key).await;
    let agent_cursor = agents.body["next_cursor"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/agents?cursor={agent_cursor}"), &b.key)
        .await
        .assert_problem(422, "validation_failed");
    // Positions written by hand: far outside any date a store holds, with
    // and without a made-up tag.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let far = b64.encode("n:-8000000000000000000:5");
    for forged in [far.clone(), format!("{far}.{}", b64.encode([7u8; 16]))] {
        for path in ["/v1/phone-numbers", "/v1/agents", "/v1/voip-connections"] {
            app.get(&format!("{path}?cursor={forged}"), &a.key)
                .await
                .assert_problem(422, "validation_failed");
        }
    }
    app.stop().await;
}
