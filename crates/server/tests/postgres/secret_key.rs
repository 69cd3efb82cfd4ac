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
