//! The console's handlers without a browser: sessions and their cookie,
//! the cross-site request guard, roles, and errors in plain words.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[macro_use]
mod support;

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};

use support::*;

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

#[actix_web::test]
async fn a_change_without_the_token_is_refused() {
    let w = world().await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    for body_text in [
        "area_code=415".to_owned(),
        "csrf=0000&area_code=415".to_owned(),
    ] {
        let res = test::call_service(
            &svc,
            post("/console/numbers", &body_text)
                .insert_header((header::COOKIE, cookie.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{body_text}");
    }
    assert_eq!(
        numbers_of(&w.app, &w.owner).await,
        0,
        "nothing was provisioned"
    );
    // The same request with the token goes through.
    let res = test::call_service(
        &svc,
        post("/console/numbers", &format!("csrf={token}&area_code=415"))
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(page.contains("matched on <code>area_code</code>"), "{page}");
    assert!(
        page.contains(r#"hx-trigger="every 1s""#),
        "the new status polls"
    );
    assert_eq!(numbers_of(&w.app, &w.owner).await, 1);
}

#[actix_web::test]
async fn a_change_from_another_origin_is_refused() {
    let w = world().await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    let form = format!("csrf={token}&area_code=415");
    let cross_site = TestRequest::post()
        .uri("/console/numbers")
        .insert_header((header::HOST, HOST))
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header((header::COOKIE, cookie.clone()))
        .set_payload(form.clone())
        .to_request();
    let res = test::call_service(&svc, cross_site).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(body(res).await.contains("another site"));
    // Neither Origin nor Sec-Fetch-Site: refused too.
    let unmarked = TestRequest::post()
        .uri("/console/numbers")
        .insert_header((header::HOST, HOST))
        .insert_header((header::COOKIE, cookie.clone()))
        .set_payload(form.clone())
        .to_request();
    assert_eq!(
        test::call_service(&svc, unmarked).await.status(),
        StatusCode::FORBIDDEN
    );
    // A sign-in posted from elsewhere is refused as well.
    let login = TestRequest::post()
        .uri("/console/sign-in")
        .insert_header((header::HOST, HOST))
        .insert_header((header::ORIGIN, "https://evil.example"))
        .set_payload(format!("api_key={}", encode(&w.owner)))
        .to_request();
    assert_eq!(
        test::call_service(&svc, login).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(numbers_of(&w.app, &w.owner).await, 0);
    // Sec-Fetch-Site: same-origin without Origin is our own page.
    let same = TestRequest::post()
        .uri("/console/numbers")
        .insert_header((header::HOST, HOST))
        .insert_header(("Sec-Fetch-Site", "same-origin"))
        .insert_header((header::COOKIE, cookie))
        .set_payload(form)
        .to_request();
    assert_eq!(
        test::call_service(&svc, same).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_member_is_refused_what_needs_an_admin() {
    let w = world().await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.member);
    let res = test::call_service(
        &svc,
        post(
            "/console/voip-connections/1/delete",
            &format!("csrf={token}"),
        )
        .insert_header((header::COOKIE, cookie))
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        body(res)
            .await
            .contains("Your role in this organisation does not allow this")
    );
    // The owner gets past the role check (and finds no such connection).
    let (cookie, token) = sign_in!(svc, &w.owner);
    let res = test::call_service(
        &svc,
        post(
            "/console/voip-connections/1/delete",
            &format!("csrf={token}"),
        )
        .insert_header((header::COOKIE, cookie))
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn errors_are_shown_in_plain_words_next_to_their_field() {
    let w = world().await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    let send = |path: &str, form: String| {
        post(path, &form)
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request()
    };
    // 422: a bad area code, next to its field.
    let res = test::call_service(
        &svc,
        send("/console/numbers", format!("csrf={token}&area_code=12")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(res).await;
    let field = page.find("id=\"area_code\"").unwrap();
    let error = page.find("class=\"error\"").unwrap();
    assert!(
        error > field && error < page.find("id=\"city\"").unwrap(),
        "{page}"
    );

    // An agent assigned by name, then deleting it is a 409 in plain words.
    let res = test::call_service(
        &svc,
        send("/console/agents", format!("csrf={token}&name=Front+desk")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = test::call_service(
        &svc,
        send("/console/numbers", format!("csrf={token}&area_code=415")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page =
        body(test::call_service(&svc, get("/console/numbers/1", &cookie).to_request()).await).await;
    assert!(
        page.contains(r#"<option value="1">Front desk</option>"#),
        "{page}"
    );
    let res = test::call_service(
        &svc,
        send(
            "/console/numbers/1/agents",
            format!("csrf={token}&version=1&inbound_agent_id=1&outbound_agent_id="),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(page.contains("Agents saved."));
    assert!(
        page.contains("<dt>Inbound agent</dt><dd>Front desk</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<strong>Version 2</strong>: assigned"),
        "history: {page}"
    );
    let res = test::call_service(
        &svc,
        send("/console/agents/1/delete", format!("csrf={token}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        body(res)
            .await
            .contains("still answers or places calls for a number")
    );

    // 412: a page opened at version 1 is stale now.
    let res = test::call_service(
        &svc,
        send(
            "/console/numbers/1/agents",
            format!("csrf={token}&version=1&inbound_agent_id=&outbound_agent_id="),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert!(
        body(res)
            .await
            .contains("This number changed since you opened it")
    );
}

#[actix_web::test]
async fn a_webhook_secret_is_shown_once_and_members_cannot_create_endpoints() {
    let w = world().await;
    let svc = service!(w.app);
    let form = |token: &str| {
        format!(
            "csrf={token}&url={}",
            encode("https://hooks.example.com/tp")
        )
    };
    let (cookie, token) = sign_in!(svc, &w.member);
    let res = test::call_service(
        &svc,
        post("/console/webhooks", &form(&token))
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        body(res)
            .await
            .contains("Your role in this organisation does not allow this")
    );

    let (cookie, token) = sign_in!(svc, &w.owner);
    let res = test::call_service(
        &svc,
        post("/console/webhooks", &form(&token))
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = body(res).await;
    let secret = page
        .split("id=\"new-secret\" class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret on the page")
        .to_owned();
    assert!(
        secret.starts_with(thunderphone_app::SECRET_PREFIX),
        "{secret}"
    );
    assert!(page.contains(r#"data-copy="new-secret""#), "a copy button");
    let again =
        body(test::call_service(&svc, get("/console/webhooks", &cookie).to_request()).await).await;
    assert!(again.contains("https://hooks.example.com/tp"));
    assert!(!again.contains(&secret), "the secret is shown once");
}
