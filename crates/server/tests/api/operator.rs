//! The operator API (API.md §13).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn operator_flow_and_revocation() {
    let app = TestApp::spawn().await;
    let org = app
        .send(
            app.admin(Method::POST, "/admin/v1/orgs")
                .json(&json!({ "name": "Acme" })),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED);
    assert_eq!(org.body["name"], "Acme");
    assert!(org.body["created_at"].is_string());
    let user = app
        .send(
            app.admin(Method::POST, "/admin/v1/users")
                .json(&json!({ "email": "Ada@Example.com" })),
        )
        .await;
    assert_eq!(user.body["email"], "ada@example.com");
    let dup = app
        .send(
            app.admin(Method::POST, "/admin/v1/users")
                .json(&json!({ "email": "ada@example.com" })),
        )
        .await;
    dup.assert_problem(422, "validation_failed");
    let (org_id, user_id) = (org.id(), user.id());
    let no_member = app
        .send(
            app.admin(Method::POST, "/admin/v1/api-keys")
                .json(&json!({ "user_id": user_id, "org_id": org_id })),
        )
        .await;
    no_member.assert_problem(422, "validation_failed");
    let m = app
        .send(
            app.admin(
                Method::PUT,
                &format!("/admin/v1/orgs/{org_id}/members/{user_id}"),
            )
            .json(&json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(
        m.body,
        json!({ "org_id": org_id, "user_id": user_id, "role": "admin" })
    );
    app.send(
        app.admin(
            Method::PUT,
            &format!("/admin/v1/orgs/{org_id}/members/{user_id}"),
        )
        .json(&json!({ "role": "king" })),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.send(
        app.admin(
            Method::PUT,
            &format!("/admin/v1/orgs/999999/members/{user_id}"),
        )
        .json(&json!({ "role": "admin" })),
    )
    .await
    .assert_problem(404, "not_found");
    app.send(
        app.admin(
            Method::PUT,
            &format!("/admin/v1/orgs/{org_id}/members/999999"),
        )
        .json(&json!({ "role": "admin" })),
    )
    .await
    .assert_problem(404, "not_found");
    let key = app
        .send(
            app.admin(Method::POST, "/admin/v1/api-keys")
                .json(&json!({ "user_id": user_id, "org_id": org_id })),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED);
    let secret = key.body["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tpk_"));
    assert_eq!(app.get("/v1/me", &secret).await.body["role"], "admin");
    // Role changes apply to existing keys.
    app.set_role(org_id, user_id, "member").await;
    assert_eq!(app.get("/v1/me", &secret).await.body["role"], "member");
    let revoke = app
        .send(app.admin(Method::DELETE, &format!("/admin/v1/api-keys/{}", key.id())))
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    app.get("/v1/me", &secret)
        .await
        .assert_problem(401, "unauthorized");
    app.send(app.admin(Method::DELETE, &format!("/admin/v1/api-keys/{}", key.id())))
        .await
        .assert_problem(404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn operator_api_needs_its_token() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    app.post("/admin/v1/orgs", &t.key, json!({ "name": "x" }))
        .await
        .assert_problem(401, "unauthorized");
    app.send(
        app.client
            .post(app.url("/admin/v1/orgs"))
            .json(&json!({ "name": "x" })),
    )
    .await
    .assert_problem(401, "unauthorized");
    app.stop().await;
    let mut config = crate::support::test_config();
    config.secrets.admin_token = None;
    let closed = TestApp::spawn_with(config, Default::default()).await;
    closed
        .send(
            closed
                .admin(Method::POST, "/admin/v1/orgs")
                .json(&json!({ "name": "x" })),
        )
        .await
        .assert_problem(404, "not_found");
    closed.stop().await;
}
