//! The operator's lists (API.md §17): orgs, users, an org's members and
//! API keys, paginated with cursors, keys never showing a secret or hash.

use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

/// Every item of an operator list, walking pages of `limit`.
async fn walk(app: &TestApp, path: &str, limit: u32) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    let mut url = format!("{path}{sep}limit={limit}");
    for _ in 0..100 {
        let page = app.send(app.admin(Method::GET, &url)).await;
        assert_eq!(page.status.as_u16(), 200, "{url}: {:?}", page.body);
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= limit as usize);
        all.extend(data.iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(cursor) => url = format!("{path}{sep}limit={limit}&cursor={cursor}"),
            None => return all,
        }
    }
    panic!("the walk over {path} does not end")
}

fn ids(items: &[Value], field: &str) -> Vec<i64> {
    items.iter().map(|v| v[field].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn operator_lists_page_newest_first() {
    let app = TestApp::spawn().await;
    let a = app.tenant("owner").await;
    let b = app.tenant("member").await;
    let second_key = app.join(a.user_id, b.org_id, "admin").await;
    let _ = second_key;

    let orgs = walk(&app, "/admin/v1/orgs", 1).await;
    assert_eq!(ids(&orgs, "id"), [b.org_id, a.org_id]);
    assert!(orgs[0]["name"].is_string() && orgs[0]["created_at"].as_str().unwrap().ends_with('Z'));
    let users = walk(&app, "/admin/v1/users", 1).await;
    assert_eq!(ids(&users, "id"), [b.user_id, a.user_id]);

    let members = walk(&app, &format!("/admin/v1/orgs/{}/members", b.org_id), 1).await;
    assert_eq!(ids(&members, "user_id"), [b.user_id, a.user_id]);
    assert_eq!(members[1]["role"], "admin");
    app.send(app.admin(Method::GET, "/admin/v1/orgs/999999/members"))
        .await
        .assert_problem(404, "not_found");

    let keys = walk(&app, "/admin/v1/api-keys", 2).await;
    assert_eq!(keys.len(), 3);
    for key in &keys {
        let fields: Vec<&str> = key.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            ["created_at", "id", "org_id", "revoked_at", "user_id"],
            "no secret, no hash: {key}"
        );
    }
    let of_a = walk(&app, &format!("/admin/v1/api-keys?user_id={}", a.user_id), 1).await;
    assert_eq!(of_a.len(), 2);
    let in_b = walk(
        &app,
        &format!("/admin/v1/api-keys?org_id={}&user_id={}", b.org_id, a.user_id),
        5,
    )
    .await;
    assert_eq!(in_b.len(), 1);
    let revoked = ids(&in_b, "id")[0];
    let gone = app
        .send(app.admin(Method::DELETE, &format!("/admin/v1/api-keys/{revoked}")))
        .await;
    assert_eq!(gone.status.as_u16(), 204);
    let in_b = walk(&app, &format!("/admin/v1/api-keys?org_id={}", b.org_id), 5).await;
    let shown = in_b.iter().find(|k| k["id"] == revoked).unwrap();
    assert!(shown["revoked_at"].as_str().unwrap().ends_with('Z'));
    app.stop().await;
}

#[tokio::test]
async fn operator_lists_refuse_bad_parameters_and_foreign_cursors() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    app.tenant("owner").await;
    for bad in [
        "/admin/v1/orgs?limit=0",
        "/admin/v1/users?cursor=abc",
        "/admin/v1/orgs?org_id=1",
        "/admin/v1/api-keys?org_id=x",
        "/admin/v1/api-keys?user_id=-1",
    ] {
        app.send(app.admin(Method::GET, bad))
            .await
            .assert_problem(422, "validation_failed");
    }
    // A cursor of one list is refused by another, and by the org's own lists.
    let page = app.send(app.admin(Method::GET, "/admin/v1/orgs?limit=1")).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    for path in [
        format!("/admin/v1/users?cursor={cursor}"),
        format!("/admin/v1/api-keys?cursor={cursor}"),
    ] {
        app.send(app.admin(Method::GET, &path))
            .await
            .assert_problem(422, "validation_failed");
    }
    app.get(&format!("/v1/agents?cursor={cursor}"), &t.key)
        .await
        .assert_problem(422, "validation_failed");
    // Without the operator token: 401.
    let anonymous = app.get("/admin/v1/orgs", &t.key).await;
    anonymous.assert_problem(401, "unauthorized");
    app.stop().await;
}
