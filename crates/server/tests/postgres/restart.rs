//! Stop the server, start it again: everything is there, versions too.

use serde_json::json;
use thunderphone_test_db::TestDb;

use crate::harness::{Api, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_numbers_agents_keys_and_history() {
    let db = TestDb::create();
    let api = Api::new();
    let env = [("THUNDERPHONE_DEMO_ACTIVATION_MS", "50")];
    let a = Server::start(db.url(), &env).await;
    let (_, user, key) = api.tenant(&a.base, "acme").await;
    let (org2, _, _) = api.tenant(&a.base, "partner").await;
    let key2 = api.join(&a.base, user, org2, "admin").await;
    let (_, created) = api
        .post(
            &a.base,
            "/v1/phone-numbers",
            &key,
            json!({ "area_code": "415" }),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    api.settle(&a.base, &key, std::time::Duration::from_secs(20))
        .await;
    let (_, agent) = api
        .post(&a.base, "/v1/agents", &key, json!({ "name": "Front desk" }))
        .await;
    let patch = json!({ "inbound_agent_id": agent["id"] });
    api.call(
        reqwest::Method::PATCH,
        format!("{}/v1/phone-numbers/{id}", a.base),
        &key,
        Some(patch),
        None,
    )
    .await;
    let (_, moved) = api
        .post(
            &a.base,
            &format!("/v1/phone-numbers/{id}/transfer"),
            &key,
            json!({ "target_org_id": org2 }),
        )
        .await;
    assert_eq!(moved["org_id"], org2);
    let (_, before) = api
        .get(&a.base, &format!("/v1/phone-numbers/{id}"), &key2)
        .await;
    let (_, history_before) = api
        .get(&a.base, &format!("/v1/phone-numbers/{id}/versions"), &key2)
        .await;
    let (_, agents_before) = api.get(&a.base, "/v1/agents", &key).await;
    a.stop();

    let b = Server::start(db.url(), &env).await;
    let (status, after) = api
        .get(&b.base, &format!("/v1/phone-numbers/{id}"), &key2)
        .await;
    assert_eq!(status, 200, "keys survive the restart");
    assert_eq!(after, before);
    assert_eq!(
        after["version"], 4,
        "created, activated, assigned, transferred"
    );
    let (_, history_after) = api
        .get(&b.base, &format!("/v1/phone-numbers/{id}/versions"), &key2)
        .await;
    assert_eq!(history_after, history_before);
    let (_, agents_after) = api.get(&b.base, "/v1/agents", &key).await;
    assert_eq!(agents_after, agents_before);
    b.stop();
}
