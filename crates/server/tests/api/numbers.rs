//! Provision, list, retrieve, update, release and history (API.md §2–§8).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn provision_reserves_then_activates() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let r = app.provision(&t.key, json!({ "area_code": "415" })).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/phone-numbers/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.body["number"], "+14155550100");
    assert_eq!(r.body["source"], "demo");
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["matched_on"], "area_code");
    assert_eq!(r.body["org_id"], t.org_id);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["voip_verification_status"], "unverified");
    assert!(r.body["inbound_agent_id"].is_null() && r.body["status_reason"].is_null());
    assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));

    let active = app.wait_for_status(&t.key, id, "active").await;
    assert_eq!(active["version"], 2);
    let got = app.get(&format!("/v1/phone-numbers/{id}"), &t.key).await;
    assert_eq!(got.header("etag"), Some("\"2\""));

    let versions = app
        .get(&format!("/v1/phone-numbers/{id}/versions"), &t.key)
        .await;
    let changes: Vec<_> = versions.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(changes, vec!["activated", "created"]);
    assert!(
        versions.body["data"][0]["changed_by"].is_null(),
        "activation is a system change"
    );
    assert_eq!(versions.body["data"][1]["changed_by"]["user_id"], t.user_id);
    app.stop().await;
}

#[tokio::test]
async fn provision_preference_fallbacks() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let none = app.provision(&t.key, json!({})).await;
    assert_eq!(none.body["matched_on"], "any");
    let empty = app
        .send(app.req(Method::POST, "/v1/phone-numbers", &t.key))
        .await;
    assert_eq!(
        empty.status,
        StatusCode::CREATED,
        "an empty body means no preference: {:?}",
        empty.body
    );
    let city = app
        .provision(&t.key, json!({ "city": "san francisco", "state": "ca" }))
        .await;
    assert_eq!(city.body["matched_on"], "city");
    let state = app.provision(&t.key, json!({ "state": "TX" })).await;
    assert_eq!(state.body["matched_on"], "state");
    // 555 is not an area code; no city; falls back to nothing but a state: none given → 409.
    let nothing = app.provision(&t.key, json!({ "area_code": "555" })).await;
    nothing.assert_problem(409, "no_numbers_available");
    let unknown_city = app.provision(&t.key, json!({ "city": "Atlantis" })).await;
    unknown_city.assert_problem(409, "no_numbers_available");
    app.stop().await;
}

#[tokio::test]
async fn area_code_exhaustion_falls_back_to_its_state() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    for i in 0..100 {
        let r = app.provision(&t.key, json!({ "area_code": "907" })).await;
        assert_eq!(r.body["matched_on"], "area_code", "#{i}");
    }
    // 907 is Alaska's only area code: after it, nothing in AK.
    app.provision(&t.key, json!({ "area_code": "907" }))
        .await
        .assert_problem(409, "no_numbers_available");
    let r = app.provision(&t.key, json!({ "area_code": "415" })).await;
    assert_eq!(r.body["matched_on"], "area_code");
    app.stop().await;
}

#[tokio::test]
async fn provision_validation() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let r = app
        .provision(
            &t.key,
            json!({ "area_code": "12", "city": "", "state": "ZZ" }),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["area_code", "city", "state"]);
    app.provision(&t.key, json!({ "area_code": 415 }))
        .await
        .assert_problem(400, "invalid_request");
    app.provision(&t.key, json!({ "areacode": "415" }))
        .await
        .assert_problem(400, "invalid_request");
    app.stop().await;
}

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
    app.patch(&path, &t.key, json!({ "status": "paused" }))
        .await
        .assert_problem(422, "validation_failed");
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

#[tokio::test]
async fn failing_provider_marks_number_failed_with_reason() {
    use std::sync::Arc;
    use thunderphone_ports::{NumberProvider, ProviderError};
    struct Down;
    #[async_trait::async_trait]
    impl NumberProvider for Down {
        fn inventory(&self) -> thunderphone_ports::Inventory {
            thunderphone_ports::Inventory::DemoPool
        }
        async fn search(
            &self,
            _: &thunderphone_ports::NumberQuery,
            _: usize,
        ) -> Result<Vec<thunderphone_domain::E164>, ProviderError> {
            Ok(vec![])
        }
        async fn activate(&self, _: &thunderphone_domain::E164) -> Result<(), ProviderError> {
            Err(ProviderError::Unavailable("carrier returned 503".into()))
        }
        async fn release(&self, _: &thunderphone_domain::E164) -> Result<(), ProviderError> {
            Ok(())
        }
    }
    let overrides = thunderphone_server::Overrides {
        provider: Some(Arc::new(Down)),
        ..Default::default()
    };
    let app = TestApp::spawn_with(crate::support::test_config(), overrides).await;
    let t = app.tenant("member").await;
    let id = app.provision(&t.key, json!({})).await.id();
    let failed = app.wait_for_status(&t.key, id, "failed").await;
    let reason = failed["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("3 attempts") && reason.contains("carrier returned 503"),
        "{reason}"
    );
    let history = app
        .get(&format!("/v1/phone-numbers/{id}/versions"), &t.key)
        .await;
    assert_eq!(history.body["data"][0]["change"], "provisioning_failed");
    app.patch(
        &format!("/v1/phone-numbers/{id}"),
        &t.key,
        json!({ "status": "active" }),
    )
    .await
    .assert_problem(409, "invalid_status_transition");
    assert_eq!(
        app.delete(&format!("/v1/phone-numbers/{id}"), &t.key)
            .await
            .status,
        StatusCode::NO_CONTENT,
        "failed numbers can be deleted"
    );
    app.stop().await;
}
