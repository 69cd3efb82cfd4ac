//! Webhook endpoints: the secret shown once, an endpoint's page, its deliveries, retry and test, and editing it.

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};

use crate::support::*;

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

/// An endpoint of the owner's org with one `webhook.test` delivery whose
/// only attempt failed with a 500, and the owner's principal.
async fn failed_delivery(w: &World) -> thunderphone_domain::Delivery {
    use thunderphone_ports::{Attempt, AttemptOutcome, WebhookRepository};
    let owner = principal(&w.app, &w.owner).await;
    let created = w
        .app
        .create_webhook_endpoint(
            &owner,
            thunderphone_app::NewEndpointRequest {
                url: thunderphone_domain::WebhookUrl::parse("https://hooks.example.com/tp")
                    .unwrap(),
                event_types: thunderphone_domain::EventTypes::all(),
                description: None,
            },
        )
        .await
        .unwrap();
    let delivery = w
        .app
        .send_webhook_test(&owner, created.endpoint.id)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    w.store
        .record_attempt(Attempt {
            delivery_id: delivery.id,
            at: now,
            outcome: AttemptOutcome::Failed {
                status: Some(500),
                error: "the receiver answered 500".into(),
                retry_at: None,
            },
            disable_if_failing_since: now - chrono::Duration::days(1),
        })
        .await
        .unwrap();
    delivery
}

/// The statuses of the endpoint's deliveries, newest first.
async fn statuses(w: &World) -> Vec<String> {
    let owner = principal(&w.app, &w.owner).await;
    let id = thunderphone_domain::WebhookEndpointId::new(1).unwrap();
    w.app
        .list_webhook_deliveries(
            &owner,
            id,
            None,
            thunderphone_ports::PageRequest::first(Default::default()),
        )
        .await
        .unwrap()
        .items
        .iter()
        .map(|d| d.status.as_str().to_owned())
        .collect()
}

#[actix_web::test]
async fn an_endpoint_page_shows_its_deliveries_with_retry_and_test_for_an_admin() {
    let w = world().await;
    failed_delivery(&w).await;
    let svc = service!(w.app);
    let (cookie, _) = sign_in!(svc, &w.owner);
    let res = test::call_service(&svc, get("/console/webhooks", &cookie).to_request()).await;
    assert!(
        body(res)
            .await
            .contains(r#"<a href="/console/webhooks/1">"#)
    );
    let res = test::call_service(&svc, get("/console/webhooks/1", &cookie).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    for shown in [
        "<td>webhook.test</td>",
        r#"<span class="status delivery-failed">failed</span>"#,
        "<td>1</td>",
        "<td>500</td>",
        "the receiver answered 500",
        r#"action="/console/webhooks/1/deliveries/1/retry""#,
        ">Send test event</button>",
        ">Save endpoint</button>",
    ] {
        assert!(page.contains(shown), "{shown} missing from {page}");
    }
    assert!(!page.contains("hx-get"), "nothing pending, no refresh");
}

#[actix_web::test]
async fn an_admin_retries_a_failed_delivery_and_sends_a_test_event() {
    let w = world().await;
    failed_delivery(&w).await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    let res = test::call_service(
        &svc,
        change(
            "/console/webhooks/1/deliveries/1/retry",
            &cookie,
            &format!("csrf={token}"),
        )
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(
        page.contains("Delivery 1 will be attempted again now."),
        "{page}"
    );
    assert!(
        page.contains(r#"hx-get="/console/webhooks/1/deliveries" hx-trigger="every 2s""#),
        "a pending delivery refreshes the list: {page}"
    );
    assert_eq!(statuses(&w).await, ["pending"]);

    let res = test::call_service(
        &svc,
        change(
            "/console/webhooks/1/test",
            &cookie,
            &format!("csrf={token}"),
        )
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body(res).await.contains("Test event sent"));
    assert_eq!(statuses(&w).await, ["pending", "pending"]);
    // The list alone, as the page refreshes it.
    let res = test::call_service(
        &svc,
        get("/console/webhooks/1/deliveries", &cookie).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let part = body(res).await;
    assert!(part.starts_with("<section id=\"deliveries\""), "{part}");
    assert_eq!(part.matches("<td>webhook.test</td>").count(), 2);
}

#[actix_web::test]
async fn a_member_sees_deliveries_but_cannot_change_anything() {
    let w = world().await;
    failed_delivery(&w).await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.member);
    let page =
        body(test::call_service(&svc, get("/console/webhooks/1", &cookie).to_request()).await)
            .await;
    assert!(page.contains("the receiver answered 500"), "{page}");
    for absent in ["Send test event", "/deliveries/1/retry", "Save endpoint"] {
        assert!(!page.contains(absent), "{absent} shown to a member");
    }
    let list =
        body(test::call_service(&svc, get("/console/webhooks", &cookie).to_request()).await).await;
    assert!(!list.contains("Create endpoint"), "{list}");
    for (path, form) in [
        ("/console/webhooks/1/deliveries/1/retry", String::new()),
        ("/console/webhooks/1/test", String::new()),
        (
            "/console/webhooks/1",
            format!(
                "&url={}&event_types=phone_number.created&enabled=on",
                encode("https://hooks.example.com/tp")
            ),
        ),
    ] {
        let res = test::call_service(
            &svc,
            change(path, &cookie, &format!("csrf={token}{form}")).to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            body(res)
                .await
                .contains("Your role in this organisation does not allow this"),
            "{path}"
        );
    }
    assert_eq!(statuses(&w).await, ["failed"]);
}

#[actix_web::test]
async fn the_webhook_changes_need_the_token_and_our_origin() {
    let w = world().await;
    failed_delivery(&w).await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    for path in [
        "/console/webhooks/1/deliveries/1/retry",
        "/console/webhooks/1/test",
        "/console/webhooks/1",
    ] {
        let res = test::call_service(&svc, change(path, &cookie, "csrf=0000").to_request()).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} with a wrong token"
        );
        let res = test::call_service(
            &svc,
            TestRequest::post()
                .uri(path)
                .insert_header((header::HOST, HOST))
                .insert_header((header::ORIGIN, "https://evil.example"))
                .insert_header((header::COOKIE, cookie.clone()))
                .set_payload(format!("csrf={token}"))
                .to_request(),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} from another site"
        );
    }
    assert_eq!(statuses(&w).await, ["failed"]);
}

#[actix_web::test]
async fn editing_an_endpoint_names_a_bad_event_type_next_to_the_field() {
    let w = world().await;
    failed_delivery(&w).await;
    let svc = service!(w.app);
    let (cookie, token) = sign_in!(svc, &w.owner);
    let url = encode("https://hooks.example.com/tp");
    let edit = |form: String| change("/console/webhooks/1", &cookie, &form).to_request();
    let res = test::call_service(
        &svc,
        edit(format!(
            "csrf={token}&url={url}&event_types=phone_number.created&event_types=phone_number.bogus&enabled=on"
        )),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(res).await;
    let fieldset = page.find("id=\"event-types\"").unwrap();
    let error = page
        .find("“phone_number.bogus” is not an event type; choose from the list.")
        .expect("the bad type named");
    assert!(
        error > fieldset && error < page.find("</fieldset>").unwrap(),
        "{page}"
    );
    assert!(
        page.contains(r#"value="phone_number.created" checked"#),
        "the posted choice is kept: {page}"
    );
    // None chosen: also next to the field.
    let res = test::call_service(&svc, edit(format!("csrf={token}&url={url}&enabled=on"))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body(res)
            .await
            .contains("Must name at least one event type.")
    );

    // A good change: fewer types, disabled, described.
    let res = test::call_service(
        &svc,
        edit(format!(
            "csrf={token}&url={url}&event_types=phone_number.created&description=Billing"
        )),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(page.contains("Endpoint saved."), "{page}");
    assert!(page.contains("<dt>State</dt><dd>disabled</dd>"), "{page}");
    assert!(
        page.contains("<dt>Events</dt><dd>phone_number.created</dd>"),
        "{page}"
    );
    assert!(page.contains(r#"value="Billing""#));
}
