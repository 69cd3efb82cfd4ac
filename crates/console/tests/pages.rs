//! Console pages that need more than one request: pages of numbers and
//! transfers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[macro_use]
mod support;

use actix_web::http::{StatusCode, header};
use actix_web::test;
use thunderphone_app::ProvisionRequest;
use thunderphone_domain::{DisplayName, Role};

use support::*;

fn link(page: &str, text: &str) -> Option<String> {
    let end = page.find(&format!("\">{text}</a>"))?;
    let start = page[..end].rfind("href=\"")? + "href=\"".len();
    Some(page[start..end].replace("&amp;", "&").replace("&#38;", "&"))
}

#[actix_web::test]
async fn numbers_go_forward_and_back_a_page_at_a_time() {
    let w = world().await;
    let caller = w.app.authenticate(&w.owner).await.unwrap();
    for _ in 0..51 {
        w.app
            .provision(&caller, ProvisionRequest::default())
            .await
            .unwrap();
    }
    let svc = service!(w.app);
    let (cookie, _) = sign_in!(svc, &w.owner);
    let rows = |page: &str| page.matches("<td><a href=\"/console/numbers/").count();
    let first =
        body(test::call_service(&svc, get("/console/numbers", &cookie).to_request()).await).await;
    assert_eq!(rows(&first), 50);
    assert!(link(&first, "Previous page").is_none());
    let next = link(&first, "Next page").expect("a next page");
    let second = body(test::call_service(&svc, get(&next, &cookie).to_request()).await).await;
    assert_eq!(rows(&second), 1);
    assert!(
        link(&second, "Next page").is_none(),
        "{}",
        &second[second.find("aria-label=\"Pages\"").unwrap()..]
    );
    let back = link(&second, "Previous page").unwrap_or_else(|| {
        panic!(
            "no previous page: {}",
            &second[second.find("aria-label=\"Pages\"").unwrap()..]
        )
    });
    let again = body(test::call_service(&svc, get(&back, &cookie).to_request()).await).await;
    assert_eq!(rows(&again), 50);
    assert_eq!(
        again.matches("/console/numbers/").count(),
        first.matches("/console/numbers/").count()
    );
}

#[actix_web::test]
async fn a_transfer_needs_an_admin_and_moves_the_number_out() {
    let w = world().await;
    let caller = w.app.authenticate(&w.owner).await.unwrap();
    let number = w
        .app
        .provision(&caller, ProvisionRequest::default())
        .await
        .unwrap()
        .number;
    w.app.run_activation(number.id()).await.unwrap();
    let other = w
        .app
        .create_org(DisplayName::parse("Partner").unwrap())
        .await
        .unwrap();
    w.app
        .set_membership(other.id, w.owner_user, Role::Admin)
        .await
        .unwrap();
    let svc = service!(w.app);
    let path = format!("/console/numbers/{}/transfer", number.id());
    let form = |token: &str| format!("csrf={token}&target_org_id={}", other.id);

    let (cookie, token) = sign_in!(svc, &w.member);
    let res = test::call_service(
        &svc,
        post(&path, &form(&token))
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(numbers_of(&w.app, &w.owner).await, 1);

    let (cookie, token) = sign_in!(svc, &w.owner);
    let res = test::call_service(
        &svc,
        post(
            &path,
            "target_org_id=abc&csrf="
                .to_owned()
                .as_str()
                .replace("csrf=", &format!("csrf={token}"))
                .as_str(),
        )
        .insert_header((header::COOKIE, cookie.clone()))
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("Enter the id of the organisation"));
    let res = test::call_service(
        &svc,
        post(&path, &form(&token))
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        numbers_of(&w.app, &w.owner).await,
        0,
        "the number left the org"
    );
}

#[actix_web::test]
async fn an_admin_creates_a_connection_and_imports_numbers_naming_each_bad_one() {
    let w = world().await;
    let svc = service!(w.app);
    let create = |token: &str| {
        format!(
            "csrf={token}&name=Trunk&provider=sip&termination_uri={}&username=alice&password={}",
            encode("sip:trunk.example.com"),
            encode("s3cret-pass")
        )
    };
    let (cookie, token) = sign_in!(svc, &w.member);
    let res = test::call_service(
        &svc,
        post("/console/voip-connections", &create(&token))
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(body(res).await.contains("does not allow this"));

    let (cookie, token) = sign_in!(svc, &w.owner);
    let send = |form: String| {
        post("/console/voip-connections", &form)
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request()
    };
    let res = test::call_service(&svc, send(create(&token))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(page.contains("Connection Trunk created."), "{page}");
    assert!(!page.contains("s3cret-pass"), "credentials are never shown");

    let import = |numbers: &str| {
        post(
            "/console/voip-connections/import",
            &format!("csrf={token}&connection_id=1&numbers={}", encode(numbers)),
        )
        .insert_header((header::COOKIE, cookie.clone()))
        .to_request()
    };
    let res = test::call_service(&svc, import("+14155552671\nnot a number")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(res).await;
    assert!(page.contains("Line 2 (not a number)"), "{page}");
    assert_eq!(numbers_of(&w.app, &w.owner).await, 0, "all or nothing");
    let res = test::call_service(&svc, import("+14155552671\n+14155552672")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.contains("Imported 2 numbers"));
    assert_eq!(numbers_of(&w.app, &w.owner).await, 2);
}
