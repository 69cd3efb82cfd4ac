//! A `THUNDERPHONE_SECRET_KEY` that cannot open the stored credentials
//! stops the server at start-up, naming the key ids it lacks.

use serde_json::json;
use thunderphone_server::{Config, Overrides, start};
use thunderphone_test_db::TestDb;

use crate::harness::{ADMIN, Api};
use thunderphone_domain::Secret;

const FIRST: &str = "first:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn config(url: &str, secret_key: &str) -> Config {
    let mut config = Config::for_tests();
    config.database.url = Some(Secret::new(url.to_owned()));
    config.secrets.admin_token = Some(Secret::new(ADMIN));
    config.limits.rate_limit_per_sec = 0;
    config.secrets.secret_key = Some(Secret::new(secret_key));
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_cannot_open_stored_credentials_stops_the_start() {
    let db = TestDb::create();
    let running = start(&config(db.url(), FIRST), Overrides::default())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let api = Api::new();
    let (_, _, key) = api.tenant(&base, "acme").await;
    let (status, _) = api
        .post(
            &base,
            "/v1/voip-connections",
            &key,
            json!({ "name": "trunk", "provider": "sip",
                    "termination_uri": "sip:pbx.example.com",
                    "credentials": { "username": "u", "password": "p" } }),
        )
        .await;
    assert_eq!(status, 201);
    running.stop().await;

    // Another key id altogether: the stored one is named.
    let other = "second:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let Err(error) = start(&config(db.url(), other), Overrides::default()).await else {
        panic!("started with a key that cannot open the stored credentials");
    };
    let message = format!("{error:#}");
    assert!(message.contains("lacks the key ids first"), "{message}");
    // The same id with other key bytes.
    let impostor = "first:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let Err(error) = start(&config(db.url(), impostor), Overrides::default()).await else {
        panic!("started with the wrong key under the right id");
    };
    let message = format!("{error:#}");
    assert!(
        message.contains("named first are not the keys"),
        "{message}"
    );
    assert!(!message.contains("AQEBAQ"), "no key material: {message}");
    // The right key among others starts.
    let both = format!("{other},{FIRST}");
    let running = start(&config(db.url(), &both), Overrides::default())
        .await
        .unwrap();
    running.stop().await;
    drop(db);
}

/// Webhook signing secrets are checked at start-up and moved to the new
/// key by `rotate-secrets`: after it, the new key alone starts and signs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_secrets_are_checked_at_start_and_rotated() {
    let db = TestDb::create();
    let receiver = crate::receiver::Receiver::start().await;
    let with_loopback = |keys: &str| {
        let mut config = config(db.url(), keys);
        config.outbound.allow = "127.0.0.1/32".parse().unwrap();
        config
    };
    let running = start(&with_loopback(FIRST), Overrides::default())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let api = Api::new();
    let (_, _, key) = api.tenant(&base, "acme").await;
    let (status, body) = api
        .post(
            &base,
            "/v1/webhook-endpoints",
            &key,
            json!({ "url": receiver.url(), "event_types": ["phone_number.created"] }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    running.stop().await;

    // No VoIP credential is stored: the webhook secret alone names `first`.
    let second = "second:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let Err(error) = start(&with_loopback(second), Overrides::default()).await else {
        panic!("started with a key that cannot open the stored webhook secret");
    };
    let message = format!("{error:#}");
    assert!(message.contains("lacks the key ids first"), "{message}");

    let both = format!("{second},{FIRST}");
    let args = thunderphone_server::admin::DatabaseArgs {
        database_url: Some(db.url().to_owned()),
        secret_key: Some(both),
    };
    let mut printed = Vec::new();
    thunderphone_server::admin::run(
        &args,
        thunderphone_server::admin::AdminCommand::RotateSecrets,
        &mut |line| printed.push(line.to_owned()),
    )
    .await
    .unwrap();
    let rotated: serde_json::Value = serde_json::from_str(&printed[0]).unwrap();
    assert_eq!(rotated["resealed"], 1, "{rotated}");

    // The new key alone starts, and signs the next delivery.
    let running = start(&with_loopback(second), Overrides::default())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let (status, _) = api.post(&base, "/v1/phone-numbers", &key, json!({})).await;
    assert_eq!(status, 201);
    let got = receiver.wait_for_type("phone_number.created").await;
    assert!(got.header("webhook-signature").starts_with("v1,"));
    running.stop().await;
    drop(db);
}
