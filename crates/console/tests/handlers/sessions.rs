//! Sessions: the cookie's flags, signing in and out, and sessions ending with their key.

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};

use crate::support::*;

#[actix_web::test]
async fn sign_in_sets_a_strict_http_only_cookie_for_12_hours() {
    let w = world().await;
    let svc = service!(w.app);
    let res = test::call_service(
        &svc,
        post("/console/sign-in", &format!("api_key={}", encode(&w.owner))).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/numbers");
    let cookie = set_cookie(&res);
    let id = cookie
        .strip_prefix("tp_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    assert_eq!(id.len(), 43, "32 random bytes, base64url");
    assert!(
        !cookie.contains(&w.owner),
        "the key never goes to the cookie"
    );
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no Secure on loopback: {cookie}"
    );
}

#[actix_web::test]
async fn the_cookie_is_secure_off_loopback() {
    let w = world().await;
    let svc = service!(w.app);
    let req = TestRequest::post()
        .uri("/console/sign-in")
        .insert_header((header::HOST, "console.example.com"))
        .insert_header((header::ORIGIN, "https://console.example.com"))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(format!("api_key={}", encode(&w.owner)))
        .to_request();
    let res = test::call_service(&svc, req).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&res).ends_with("; Secure"),
        "{}",
        set_cookie(&res)
    );
}

#[actix_web::test]
async fn a_wrong_key_is_refused_in_plain_words() {
    let w = world().await;
    let svc = service!(w.app);
    let res = test::call_service(
        &svc,
        post("/console/sign-in", "api_key=tpk_not-a-key").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert!(body(res).await.contains("unknown or has been revoked"));
}

#[actix_web::test]
async fn pages_need_a_live_session() {
    let w = world().await;
    let svc = service!(w.app);
    for cookie in [
        "",
        "tp_session=",
        "tp_session=forged-or-expired-session-id-xxxxxxxxxxxxxx",
    ] {
        let res = test::call_service(&svc, get("/console/numbers", cookie).to_request()).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "cookie {cookie:?}");
        assert_eq!(location(&res), "/console/sign-in");
    }
}

#[actix_web::test]
async fn sign_out_ends_the_session_on_the_server() {
    let w = world().await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    let res = test::call_service(
        &svc,
        post("/console/sign-out", &format!("csrf={token}"))
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/sign-in");
    assert!(set_cookie(&res).contains("Max-Age=0"));
    // The browser forgot it; a copy of the old cookie is dead too.
    let again = test::call_service(&svc, get("/console/numbers", &cookie).to_request()).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), "/console/sign-in");
}

#[actix_web::test]
async fn a_revoked_key_ends_its_sessions() {
    let w = world().await;
    let svc = service!(w.app);
    let (cookie, _) = sign_in!(svc, &w.owner);
    w.app.revoke_api_key(w.owner_key_id).await.unwrap();
    let res = test::call_service(&svc, get("/console/numbers", &cookie).to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/console/sign-in");
}
