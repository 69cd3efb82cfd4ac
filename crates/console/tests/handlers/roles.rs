//! Roles: what needs an admin is refused to a member, in plain words.

use actix_web::http::{StatusCode, header};
use actix_web::test;

use crate::support::*;

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
