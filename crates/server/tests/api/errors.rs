//! Every error is problem+json with the code of API.md §10, including
//! actix's own (routing, bodies, headers), and tenants never see each other.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn authentication() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let none = app.send(app.client.get(app.url("/v1/phone-numbers"))).await;
    none.assert_problem(401, "unauthorized");
    for bad in [
        "nope",
        "tpk_",
        "tpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &t.key[..t.key.len() - 1],
    ] {
        app.get("/v1/me", bad)
            .await
            .assert_problem(401, "unauthorized");
    }
    let basic = app
        .send(
            app.client
                .get(app.url("/v1/me"))
                .header("Authorization", format!("Basic {}", t.key)),
        )
        .await;
    basic.assert_problem(401, "unauthorized");
    let me = app.get("/v1/me", &t.key).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["org_id"], t.org_id);
    assert_eq!(me.body["user_id"], t.user_id);
    assert_eq!(me.body["role"], "member");
    assert!(me.body["api_key_id"].as_i64().unwrap() > 0);
    app.stop().await;
}

/// The read routes authenticate in the same store call as their read; a
/// bad key is still a 401 whatever else is wrong with the request, and a
/// revoked key fails on the very next read.
#[tokio::test]
async fn read_routes_check_the_key_first() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let number = app.active_number(&t.key, "415").await;
    let path = format!("/v1/phone-numbers/{}", number["id"]);
    let bad = "tpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for route in [
        path.as_str(),
        "/v1/phone-numbers/999999",
        "/v1/phone-numbers/not-an-id",
        "/v1/phone-numbers",
        "/v1/phone-numbers?status=bogus",
        "/v1/phone-numbers?limit=0",
        "/v1/phone-numbers?nonsense=1",
    ] {
        app.get(route, bad)
            .await
            .assert_problem(401, "unauthorized");
        let anonymous = app.send(app.client.get(app.url(route))).await;
        anonymous.assert_problem(401, "unauthorized");
    }
    // The same requests with the key: what is wrong with them shows.
    assert_eq!(app.get(&path, &t.key).await.body["id"], number["id"]);
    app.get("/v1/phone-numbers/999999", &t.key)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/phone-numbers/not-an-id", &t.key)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/phone-numbers?status=bogus", &t.key)
        .await
        .assert_problem(422, "validation_failed");
    let listed = app.get("/v1/phone-numbers", &t.key).await;
    assert_eq!(listed.body["data"][0]["id"], number["id"]);

    let me = app.get("/v1/me", &t.key).await;
    let revoke = app
        .send(app.admin(
            Method::DELETE,
            &format!("/admin/v1/api-keys/{}", me.body["api_key_id"]),
        ))
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    app.get(&path, &t.key)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/v1/phone-numbers", &t.key)
        .await
        .assert_problem(401, "unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn routing_errors() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    app.get("/v2/nothing", &t.key)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/phone-numbers/", &t.key)
        .await
        .assert_problem(404, "not_found");
    app.send(app.req(Method::DELETE, "/v1/phone-numbers", &t.key))
        .await
        .assert_problem(405, "method_not_allowed");
    app.send(app.req(Method::GET, "/v1/phone-numbers/1/transfer", &t.key))
        .await
        .assert_problem(405, "method_not_allowed");
    app.send(app.req(Method::PUT, "/v1/agents/1", &t.key))
        .await
        .assert_problem(405, "method_not_allowed");
    app.send(app.req(Method::POST, "/healthz", &t.key))
        .await
        .assert_problem(405, "method_not_allowed");
    for id in [
        "0",
        "-1",
        "abc",
        "1.5",
        "99999999999999999999999",
        "%00",
        "9223372036854775807",
    ] {
        app.get(&format!("/v1/phone-numbers/{id}"), &t.key)
            .await
            .assert_problem(404, "not_found");
        app.get(&format!("/v1/agents/{id}"), &t.key)
            .await
            .assert_problem(404, "not_found");
    }
    app.stop().await;
}

#[tokio::test]
async fn body_errors() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let post = |body: Vec<u8>, ct: &'static str| {
        app.req(Method::POST, "/v1/agents", &t.key)
            .header("content-type", ct)
            .body(body)
    };
    app.send(post(b"{not json".to_vec(), "application/json"))
        .await
        .assert_problem(400, "invalid_request");
    app.send(post(b"[]".to_vec(), "application/json"))
        .await
        .assert_problem(400, "invalid_request");
    app.send(post(vec![0xff, 0xfe, b'{'], "application/json"))
        .await
        .assert_problem(400, "invalid_request");
    app.send(post(br#"{"name": 5}"#.to_vec(), "application/json"))
        .await
        .assert_problem(400, "invalid_request");
    app.send(post(
        br#"{"name": "a", "extra": 1}"#.to_vec(),
        "application/json",
    ))
    .await
    .assert_problem(400, "invalid_request");
    app.send(post(br#"{"name": "a"}"#.to_vec(), "text/plain"))
        .await
        .assert_problem(415, "unsupported_media_type");
    app.send(post(
        br#"{"name": "a"}"#.to_vec(),
        "application/x-www-form-urlencoded",
    ))
    .await
    .assert_problem(415, "unsupported_media_type");
    let nested = "[".repeat(10_000) + &"]".repeat(10_000);
    app.send(post(nested.into_bytes(), "application/json"))
        .await
        .assert_problem(400, "invalid_request");
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(70 * 1024));
    app.send(post(huge.into_bytes(), "application/json"))
        .await
        .assert_problem(413, "payload_too_large");
    let just_over = format!("{{\"name\": \"{}\"}}", "x".repeat(64 * 1024));
    app.send(post(just_over.into_bytes(), "application/json"))
        .await
        .assert_problem(413, "payload_too_large");
    let nul = json!({ "name": "a\u{0}b" });
    app.post("/v1/agents", &t.key, nul)
        .await
        .assert_problem(422, "validation_failed");
    let sql = json!({ "name": "x'); DROP TABLE agents; --" });
    assert_eq!(
        app.post("/v1/agents", &t.key, sql).await.status,
        StatusCode::CREATED
    );
    app.post("/v1/agents", &t.key, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn tenants_are_isolated() {
    let app = TestApp::spawn().await;
    let a = app.tenant("owner").await;
    let b = app.tenant("owner").await;
    let number = app.active_number(&a.key, "415").await;
    let agent = app.create_agent(&a.key, "A's agent").await;
    let conn = app.sip_connection(&a.key, "sip:good.example.com").await;
    let n = format!("/v1/phone-numbers/{}", number["id"]);
    for r in [
        app.get(&n, &b.key).await,
        app.patch(&n, &b.key, json!({ "status": "released" })).await,
        app.put(
            &n,
            &b.key,
            json!({ "inbound_agent_id": null, "outbound_agent_id": null }),
        )
        .await,
        app.delete(&n, &b.key).await,
        app.get(&format!("{n}/versions"), &b.key).await,
        app.post(&format!("{n}/verify-voip"), &b.key, json!({}))
            .await,
        app.post(
            &format!("{n}/transfer"),
            &b.key,
            json!({ "target_org_id": b.org_id }),
        )
        .await,
        app.get(&format!("/v1/agents/{agent}"), &b.key).await,
        app.delete(&format!("/v1/agents/{agent}"), &b.key).await,
        app.get(&format!("/v1/voip-connections/{conn}"), &b.key)
            .await,
        app.delete(&format!("/v1/voip-connections/{conn}"), &b.key)
            .await,
        app.import(&b.key, conn, &["+14155552123"]).await,
    ] {
        r.assert_problem(404, "not_found");
    }
    assert!(
        app.get("/v1/phone-numbers", &b.key).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        app.get("/v1/agents", &b.key).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        app.get("/v1/voip-connections", &b.key).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // B cannot assign A's agent to its own number.
    let mine = app.active_number(&b.key, "212").await;
    app.patch(
        &format!("/v1/phone-numbers/{}", mine["id"]),
        &b.key,
        json!({ "inbound_agent_id": agent }),
    )
    .await
    .assert_problem(422, "invalid_agent");
    // Nothing of A changed.
    assert_eq!(app.get(&n, &a.key).await.body["version"], number["version"]);
    app.stop().await;
}

#[tokio::test]
async fn probes_and_openapi() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.send(app.client.get(app.url("/healthz"))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(app.client.get(app.url("/readyz"))).await.status,
        StatusCode::OK
    );
    let doc = app.send(app.client.get(app.url("/openapi.json"))).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/v1/phone-numbers", &["get", "post"][..]),
        (
            "/v1/phone-numbers/{phone_number_id}",
            &["get", "put", "patch", "delete"],
        ),
        ("/v1/phone-numbers/{phone_number_id}/transfer", &["post"]),
        ("/v1/phone-numbers/{phone_number_id}/versions", &["get"]),
        ("/v1/phone-numbers/{phone_number_id}/verify-voip", &["post"]),
        ("/v1/agents", &["get", "post"]),
        ("/v1/agents/{agent_id}", &["get", "patch", "delete"]),
        ("/v1/voip-connections", &["get", "post"]),
        (
            "/v1/voip-connections/{voip_connection_id}",
            &["get", "delete"],
        ),
        (
            "/v1/voip-connections/{voip_connection_id}/import",
            &["post"],
        ),
        ("/v1/me", &["get"]),
        ("/admin/v1/orgs", &["post"]),
        ("/admin/v1/users", &["post"]),
        ("/admin/v1/orgs/{org_id}/members/{user_id}", &["put"]),
        ("/admin/v1/api-keys", &["post"]),
        ("/admin/v1/api-keys/{api_key_id}", &["delete"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/openapi.json", &["get"]),
    ] {
        for m in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*m)).is_some(),
                "{m} {path} missing from OpenAPI"
            );
        }
    }
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn docs_page_is_served_without_network() {
    let app = TestApp::spawn().await;
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = redirect.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers()["location"], "/docs/");
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("swagger-ui") && !html.contains("https://"),
        "assets must be local"
    );
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/openapi.json\""), "{init}");
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), StatusCode::OK);
    app.stop().await;
}
