//! The cross-site request guard: the session's token and the origin.

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};

use crate::support::*;

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
