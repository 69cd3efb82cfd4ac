//! Transfers between orgs (API.md §7).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn admin_in_both_orgs_moves_number_and_clears_agents() {
    let app = TestApp::spawn().await;
    let src = app.tenant("admin").await;
    let target = app.create_org("Target").await;
    let target_key = app.join(src.user_id, target, "owner").await;
    let agent = app.create_agent(&src.key, "Front").await;
    let n = app.active_number(&src.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", n["id"]);
    app.patch(&path, &src.key, json!({ "inbound_agent_id": agent }))
        .await;
    let r = app
        .post(
            &format!("{path}/transfer"),
            &src.key,
            json!({ "target_org_id": target }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["org_id"], target);
    assert!(r.body["inbound_agent_id"].is_null());
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.header("etag"), Some("\"4\""));
    app.get(&path, &src.key)
        .await
        .assert_problem(404, "not_found");
    let moved = app.get(&path, &target_key).await;
    assert_eq!(moved.body["version"], 4);
    // The new org sees the history from the transfer on; not the old org's agents.
    let history = app.get(&format!("{path}/versions"), &target_key).await;
    let data = history.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["change"], "transferred");
    assert_eq!(data[0]["org_id"], target);
    app.stop().await;
}

#[tokio::test]
async fn transfer_refusals() {
    let app = TestApp::spawn().await;
    let member = app.tenant("member").await;
    let admin = app.tenant("admin").await;
    let target = app.create_org("Target").await;
    app.join(admin.user_id, target, "member").await;
    let n = app.active_number(&member.key, "415").await;
    let body = json!({ "target_org_id": target });
    app.post(
        &format!("/v1/phone-numbers/{}/transfer", n["id"]),
        &member.key,
        body.clone(),
    )
    .await
    .assert_problem(403, "forbidden");

    let mine = app.active_number(&admin.key, "212").await;
    let path = format!("/v1/phone-numbers/{}/transfer", mine["id"]);
    app.post(&path, &admin.key, body.clone())
        .await
        .assert_problem(403, "forbidden");
    app.post(&path, &admin.key, json!({ "target_org_id": 999_999 }))
        .await
        .assert_problem(403, "forbidden");
    app.post(&path, &admin.key, json!({ "target_org_id": admin.org_id }))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&path, &admin.key, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&path, &admin.key, json!({ "target_org_id": "2" }))
        .await
        .assert_problem(400, "invalid_request");
    app.set_role(target, admin.user_id, "admin").await;
    app.post(
        &path,
        &admin.key,
        json!({ "target_org_id": target, "target_voip_connection_id": 5 }),
    )
    .await
    .assert_problem(422, "validation_failed");
    let provisioning = app.provision(&admin.key, json!({})).await.id();
    app.post(
        &format!("/v1/phone-numbers/{provisioning}/transfer"),
        &admin.key,
        body.clone(),
    )
    .await
    .assert_problem(409, "invalid_status_transition");
    assert_eq!(
        app.post(&path, &admin.key, body).await.status,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn voip_numbers_are_relinked_and_need_reverification() {
    let app = TestApp::spawn().await;
    let src = app.tenant("owner").await;
    let target = app.create_org("Target").await;
    let target_key = app.join(src.user_id, target, "admin").await;
    let conn = app.sip_connection(&src.key, "sip:good.example.com").await;
    let target_conn = app
        .sip_connection(&target_key, "sip:good.target.example.com")
        .await;
    let imported = app.import(&src.key, conn, &["+1 (415) 555-2142"]).await;
    let id = imported.body["data"][0]["id"].as_i64().unwrap();
    let path = format!("/v1/phone-numbers/{id}");
    let v = app
        .post(&format!("{path}/verify-voip"), &src.key, json!({}))
        .await;
    assert_eq!(v.body["status"], "active");
    app.post(
        &format!("{path}/transfer"),
        &src.key,
        json!({ "target_org_id": target }),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post(
        &format!("{path}/transfer"),
        &src.key,
        json!({ "target_org_id": target, "target_voip_connection_id": conn }),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .post(
            &format!("{path}/transfer"),
            &src.key,
            json!({ "target_org_id": target, "target_voip_connection_id": target_conn }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["voip_verification_status"], "unverified");
    assert_eq!(r.body["voip_connection_id"], target_conn);
    app.stop().await;
}
