//! Webhook deliveries on Postgres, on the real binary: a delivery pending
//! when its instance is killed (`kill -9`) arrives after a restart, and
//! two instances on one database deliver each event once per endpoint.

use std::collections::HashMap;
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use thunderphone_test_db::TestDb;

use crate::harness::{Api, Server};
use crate::receiver::{Answer, Receiver};

const KEY: (&str, &str) = (
    "THUNDERPHONE_SECRET_KEY",
    "test:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
);
const ALLOW: (&str, &str) = ("THUNDERPHONE_OUTBOUND_ALLOW", "127.0.0.1/32");

async fn endpoint(api: &Api, base: &str, key: &str, url: &str) -> i64 {
    let (status, body) = api
        .post(
            base,
            "/v1/webhook-endpoints",
            key,
            json!({ "url": url, "event_types": ["phone_number.created"] }),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_delivery_survives_kill_9() {
    let db = TestDb::create();
    let api = Api::new();
    let receiver = Receiver::start().await;
    // The first attempt fails; the retry is due 3 s later, by when the
    // instance that made it is gone.
    receiver.script([Answer::Status(500)]);
    let env = [KEY, ALLOW, ("THUNDERPHONE_WEBHOOK_RETRY_SCHEDULE", "3s")];
    let a = Server::start(db.url(), &env).await;
    let (_, _, key) = api.tenant(&a.base, "acme").await;
    let hook = endpoint(&api, &a.base, &key, &receiver.url()).await;
    let (status, _) = api
        .post(&a.base, "/v1/phone-numbers", &key, json!({}))
        .await;
    assert_eq!(status.as_u16(), 201);
    let first = receiver.wait_for(1).await;
    // Once the failed attempt is recorded (the retry scheduled), crash.
    for _ in 0..100 {
        let (_, body) = api
            .get(
                &a.base,
                &format!("/v1/webhook-endpoints/{hook}/deliveries"),
                &key,
            )
            .await;
        if body["data"][0]["attempts"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.crash();

    let b = Server::start(db.url(), &env).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2, "delivered once more, not again and again");
    assert_eq!(got[1].header("webhook-id"), first[0].header("webhook-id"));
    assert_eq!(got[1].body, first[0].body, "the same event, byte for byte");
    let mut delivered = None;
    for _ in 0..100 {
        let (_, body) = api
            .get(
                &b.base,
                &format!("/v1/webhook-endpoints/{hook}/deliveries"),
                &key,
            )
            .await;
        if body["data"][0]["status"] == "succeeded" {
            delivered = Some(body["data"][0].clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = delivered.expect("the delivery succeeds after the restart");
    assert_eq!(delivered["attempts"], 2);
    b.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_event_once() {
    let db = TestDb::create();
    let api = Api::new();
    let receiver = Receiver::start().await;
    let env = [KEY, ALLOW, ("THUNDERPHONE_DEMO_ACTIVATION_MS", "20")];
    let a = Server::start(db.url(), &env).await;
    let b = Server::start(db.url(), &env).await;
    let (_, _, key) = api.tenant(&a.base, "acme").await;
    endpoint(&api, &a.base, &key, &receiver.url()).await;
    const EVENTS: usize = 500;
    let created = join_all((0..EVENTS).map(|i| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        api.post(base, "/v1/phone-numbers", &key, json!({}))
    }))
    .await;
    assert!(created.iter().all(|(s, _)| s.as_u16() == 201));
    let got = receiver.wait_for(EVENTS).await;
    // Anything late or doubled would arrive within this pause.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.received().len().max(got.len());
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        *per_event
            .entry(r.header("webhook-id").to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_event.len(), EVENTS, "every event delivered");
    assert!(
        per_event.values().all(|n| *n == 1),
        "no event delivered twice"
    );
    assert_eq!(got, EVENTS);
    a.stop();
    b.stop();
}
