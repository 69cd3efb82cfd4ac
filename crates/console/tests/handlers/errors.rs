//! The application's errors in plain words, next to their field.

use actix_web::http::{StatusCode, header};
use actix_web::test;

use crate::support::*;

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
