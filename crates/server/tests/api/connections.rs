//! VoIP connections, import and verification (API.md §9, §12).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn connections_hide_credentials_and_need_admin() {
    let app = TestApp::spawn().await;
    let admin = app.tenant("admin").await;
    let member_key = {
        let user = app.create_user("member-of-admin-org@example.com").await;
        app.join(user, admin.org_id, "member").await
    };
    let twilio = json!({ "name": "Main Twilio", "provider": "twilio",
        "credentials": { "account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "super-secret-token" } });
    app.post("/v1/voip-connections", &member_key, twilio.clone())
        .await
        .assert_problem(403, "forbidden");
    let r = app.post("/v1/voip-connections", &admin.key, twilio).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/voip-connections/{id}").as_str())
    );
    assert_eq!(r.body["provider"], "twilio");
    assert!(r.body["termination_uri"].is_null());
    let keys: Vec<_> = r.body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    for body in [
        r.body.to_string(),
        app.get(&format!("/v1/voip-connections/{id}"), &member_key)
            .await
            .body
            .to_string(),
        app.get("/v1/voip-connections", &admin.key)
            .await
            .body
            .to_string(),
    ] {
        assert!(
            !body.contains("super-secret-token") && !body.contains("credentials"),
            "{body}"
        );
    }
    let telnyx =
        json!({ "name": "Telnyx", "provider": "telnyx", "credentials": { "api_key": "KEY0123" } });
    assert_eq!(
        app.post("/v1/voip-connections", &admin.key, telnyx)
            .await
            .status,
        StatusCode::CREATED
    );
    app.delete(&format!("/v1/voip-connections/{id}"), &member_key)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.delete(&format!("/v1/voip-connections/{id}"), &admin.key)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/v1/voip-connections/{id}"), &admin.key)
        .await
        .assert_problem(404, "not_found");
    app.stop().await;
}

#[tokio::test]
async fn connection_validation() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    for body in [
        json!({ "name": "x", "provider": "sip", "credentials": {} }),
        json!({ "name": "x", "provider": "sip", "termination_uri": "http://pbx", "credentials": {} }),
        json!({ "name": "x", "provider": "skype", "credentials": {} }),
        json!({ "name": "x", "provider": "twilio", "credentials": { "account_sid": "AC1" } }),
        json!({ "name": "x", "provider": "twilio", "credentials": { "account_sid": "XX1", "auth_token": "t" } }),
        json!({ "name": "x", "provider": "telnyx", "credentials": { "api_key": "k", "username": "u" } }),
        json!({ "name": "x", "provider": "sip", "termination_uri": "sip:pbx.example.com", "credentials": { "username": "u" } }),
        json!({ "provider": "telnyx", "credentials": { "api_key": "k" } }),
        json!({ "name": "x", "provider": "telnyx" }),
    ] {
        app.post("/v1/voip-connections", &t.key, body)
            .await
            .assert_problem(422, "validation_failed");
    }
    app.post("/v1/voip-connections", &t.key, json!({ "name": "x", "provider": "telnyx", "credentials": { "api_key": "k", "token": "t" } })).await.assert_problem(400, "invalid_request");
    app.stop().await;
}

/// The fields of a 422, in order.
fn error_fields(r: &crate::support::Response) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Values that must never reach a SIP message (API.md §15): each is a 422
/// on its own field, and nothing is stored.
#[tokio::test]
async fn sip_values_that_break_sip_are_refused_on_their_field() {
    let app = TestApp::spawn().await;
    let t = app.tenant("admin").await;
    let sip = |uri: &str, username: &str, password: &str| {
        json!({ "name": "Office PBX", "provider": "sip", "termination_uri": uri,
            "credentials": { "username": username, "password": password } })
    };
    const URI: &str = "sip:pbx.example.com:5060";
    let mut cases = Vec::new();
    for bad in [
        "\r\n", "\r", "\n", "\u{0}", "\u{7f}", "\u{85}", " ", "<", ">", "\"", "@",
    ] {
        let injected = format!("alice{bad}SET key pwned");
        cases.push((sip(URI, &injected, "pw"), "credentials.username"));
        cases.push((
            sip(&format!("sip:pbx.example.com{bad}"), "alice", "pw"),
            "termination_uri",
        ));
        cases.push((
            sip(&format!("sip:pbx.example.com;x=a{bad}b"), "alice", "pw"),
            "termination_uri",
        ));
    }
    // A password only enters a hash, so it may hold any printable
    // character; control characters are refused all the same.
    for bad in ["\r\n", "\n", "\u{0}", "\u{1b}", "\u{7f}", "\u{2028}"] {
        cases.push((
            sip(URI, "alice", &format!("pw{bad}QUIT")),
            "credentials.password",
        ));
    }
    cases.push((sip(URI, "%0D%0A", "pw"), "credentials.username"));
    cases.push((
        sip("sip:user:secret@pbx.example.com", "alice", "pw"),
        "termination_uri",
    ));
    cases.push((
        json!({ "name": "T", "provider": "twilio",
            "credentials": { "account_sid": "AC0123456789abcdef0123456789abcd\r\n", "auth_token": "t" } }),
        "credentials.account_sid",
    ));
    cases.push((
        json!({ "name": "T", "provider": "twilio",
            "credentials": { "account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "t\r\nX: y" } }),
        "credentials.auth_token",
    ));
    cases.push((
        json!({ "name": "T", "provider": "telnyx", "credentials": { "api_key": "KEY\u{0}" } }),
        "credentials.api_key",
    ));
    for (body, field) in cases {
        let r = app.post("/v1/voip-connections", &t.key, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(
            error_fields(&r),
            vec![field.to_owned()],
            "{body}: {:?}",
            r.body
        );
        // The problem never echoes the value.
        assert!(!r.body.to_string().contains("pwned"), "{:?}", r.body);
    }
    assert!(
        app.get("/v1/voip-connections", &t.key).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    // Realistic values are accepted.
    for (uri, username, password) in [
        (
            "sip:pbx.example.com:5060;transport=tcp",
            "+15551234567",
            "pa ss<\"word>",
        ),
        (
            "sip:+15551234567@trunk.example.com;user=phone",
            "trunk.user_1",
            "pw",
        ),
        ("sips:[2001:db8::1]:5061", "user%40corp.example", "pw"),
    ] {
        let r = app
            .post("/v1/voip-connections", &t.key, sip(uri, username, password))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{uri} {username}: {:?}",
            r.body
        );
        assert_eq!(r.body["termination_uri"], uri);
    }
    app.stop().await;
}

#[tokio::test]
async fn import_is_all_or_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("member").await;
    let owner = app.tenant("owner").await;
    let conn = app.sip_connection(&owner.key, "sip:good.example.com").await;
    // Members may import through their org's connections.
    let my_conn = {
        let key = app.join(t.user_id, owner.org_id, "member").await;
        let r = app
            .import(&key, conn, &["+1 415 555 2142", "(212) 555-2143"])
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let data = r.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0]["number"], "+14155552142");
        assert_eq!(data[1]["number"], "+12125552143");
        for n in data {
            assert_eq!(n["source"], "voip");
            assert_eq!(n["status"], "provisioning");
            assert_eq!(n["voip_verification_status"], "unverified");
            assert_eq!(n["voip_connection_id"], conn);
        }
        key
    };
    let bad = app
        .import(
            &my_conn,
            conn,
            &["+14155552150", "not a number", "+1555", "+14155552150"],
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<_> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, vec!["numbers[1]", "numbers[2]", "numbers[3]"]);
    let taken = app
        .import(&owner.key, conn, &["+14155552160", "+14155552142"])
        .await;
    taken.assert_problem(409, "number_taken");
    assert!(
        taken.body["detail"]
            .as_str()
            .unwrap()
            .contains("+14155552142")
    );
    // Nothing of the failed imports exists.
    let list = app.get("/v1/phone-numbers", &owner.key).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    app.import(&owner.key, conn, &[])
        .await
        .assert_problem(422, "validation_failed");
    let many: Vec<String> = (0..101)
        .map(|i| format!("+1415555{:04}", 1000 + i))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    app.import(&owner.key, conn, &many)
        .await
        .assert_problem(422, "validation_failed");
    app.import(&owner.key, 999_999, &["+14155552170"])
        .await
        .assert_problem(404, "not_found");
    // The demo pool's range cannot be imported: one import must not take
    // numbers every org provisions from. Each one is named.
    let pool: Vec<String> = (0..100)
        .map(|i| format!("+1907555{:04}", 100 + i))
        .collect();
    let pool: Vec<&str> = pool.iter().map(String::as_str).collect();
    let r = app.import(&owner.key, conn, &pool).await;
    r.assert_problem(422, "validation_failed");
    let errors = r.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 100);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("+19075550100")
    );
    assert_eq!(errors[99]["field"], "numbers[99]");
    // Nothing was taken: the area code still provisions its first number.
    let p = app
        .provision(&owner.key, json!({ "area_code": "907" }))
        .await;
    assert_eq!(p.body["number"], "+19075550100");
    app.import(&owner.key, conn, &["+19075550101"])
        .await
        .assert_problem(422, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn verify_voip_outcomes() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    let good = app.sip_connection(&t.key, "sip:good.example.com").await;
    let dead = app
        .sip_connection(&t.key, "sip:dead.example.com:5060")
        .await;
    let ok_id = app.import(&t.key, good, &["+14155552142"]).await.body["data"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/v1/phone-numbers/{ok_id}/verify-voip"),
            &t.key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["voip_verification_status"], "verified");
    assert!(r.body["voip_last_verified_at"].is_string());
    assert_eq!(r.body["verification"]["result"], "verified");
    assert_eq!(
        r.body["verification"]["checks"].as_array().unwrap().len(),
        3
    );
    assert_eq!(r.header("etag"), Some("\"2\""));

    let bad_id = app.import(&t.key, dead, &["+14155552143"]).await.body["data"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/v1/phone-numbers/{bad_id}/verify-voip"),
            &t.key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["voip_verification_status"], "failed");
    assert_eq!(r.body["verification"]["result"], "failed");
    let failed: Vec<_> = r.body["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert_eq!(failed[0]["name"], "outbound_trunking");
    assert!(
        r.body["status_reason"]
            .as_str()
            .unwrap()
            .contains("timed out")
    );

    let history = app
        .get(&format!("/v1/phone-numbers/{bad_id}/versions"), &t.key)
        .await;
    assert_eq!(history.body["data"][0]["change"], "verification_failed");

    // A verified number that later fails goes back to provisioning.
    let demo = app.provision(&t.key, json!({})).await.id();
    app.post(
        &format!("/v1/phone-numbers/{demo}/verify-voip"),
        &t.key,
        json!({}),
    )
    .await
    .assert_problem(409, "not_verifiable");
    app.patch(
        &format!("/v1/phone-numbers/{ok_id}"),
        &t.key,
        json!({ "status": "released" }),
    )
    .await;
    app.post(
        &format!("/v1/phone-numbers/{ok_id}/verify-voip"),
        &t.key,
        json!({}),
    )
    .await
    .assert_problem(409, "invalid_status_transition");
    app.patch(
        &format!("/v1/phone-numbers/{ok_id}"),
        &t.key,
        json!({ "status": "active" }),
    )
    .await;

    // Deleting the connection detaches its numbers; they are then not verifiable.
    assert_eq!(
        app.delete(&format!("/v1/voip-connections/{good}"), &t.key)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let detached = app.get(&format!("/v1/phone-numbers/{ok_id}"), &t.key).await;
    assert!(detached.body["voip_connection_id"].is_null());
    app.post(
        &format!("/v1/phone-numbers/{ok_id}/verify-voip"),
        &t.key,
        json!({}),
    )
    .await
    .assert_problem(409, "not_verifiable");
    app.stop().await;
}

#[tokio::test]
async fn verification_is_bounded_in_time() {
    let app = TestApp::spawn().await;
    let t = app.tenant("owner").await;
    let slow = app.sip_connection(&t.key, "sip:slow.example.com").await;
    let id = app.import(&t.key, slow, &["+14155552144"]).await.body["data"][0]["id"]
        .as_i64()
        .unwrap();
    let started = std::time::Instant::now();
    let r = app
        .post(
            &format!("/v1/phone-numbers/{id}/verify-voip"),
            &t.key,
            json!({}),
        )
        .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(r.body["verification"]["result"], "failed");
    assert!(
        r.body["verification"]["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("did not finish")
    );
    app.stop().await;
}

#[tokio::test]
async fn without_a_secret_key_credentials_are_refused() {
    let mut config = crate::support::test_config();
    config.secrets.secret_key = None;
    let app = TestApp::spawn_with(config, Default::default()).await;
    let t = app.tenant("owner").await;
    let body =
        json!({ "name": "Telnyx", "provider": "telnyx", "credentials": { "api_key": "KEY0123" } });
    let r = app.post("/v1/voip-connections", &t.key, body).await;
    r.assert_problem(503, "unavailable");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("THUNDERPHONE_SECRET_KEY"),
        "{:?}",
        r.body
    );
    assert!(
        app.get("/v1/voip-connections", &t.key).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    app.stop().await;
}
