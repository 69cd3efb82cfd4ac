//! Agents' names on the number pages, however many agents the org has.

use actix_web::http::StatusCode;
use actix_web::test;

use crate::support::*;

#[actix_web::test]
async fn numbers_show_the_names_of_agents_past_the_first_two_thousand() {
    let w = world().await;
    let owner = principal(&w.app, &w.owner).await;
    let name = |text: &str| thunderphone_domain::DisplayName::parse(text).unwrap();
    // The oldest agent comes last in every newest-first list.
    let oldest = w
        .app
        .create_agent(&owner, name("Oldest desk"))
        .await
        .unwrap();
    for i in 0..2_100 {
        w.app
            .create_agent(&owner, name(&format!("Agent {i}")))
            .await
            .unwrap();
    }
    let number = w
        .app
        .provision(
            &owner,
            thunderphone_app::ProvisionRequest {
                area_code: Some(thunderphone_domain::AreaCode::parse("415").unwrap()),
                city: None,
                state: None,
            },
        )
        .await
        .unwrap()
        .number;
    w.app
        .update_number(
            &owner,
            number.id(),
            thunderphone_app::NumberUpdate {
                agents: thunderphone_domain::AgentUpdate {
                    inbound: Some(Some(oldest.id)),
                    outbound: None,
                },
                status: None,
            },
            None,
        )
        .await
        .unwrap();
    let svc = service!(w.app);
    let (cookie, _) = sign_in!(svc, &w.owner);
    let list =
        body(test::call_service(&svc, get("/console/numbers", &cookie).to_request()).await).await;
    assert!(list.contains("<td>Oldest desk</td>"), "{list}");
    let res = test::call_service(
        &svc,
        get(&format!("/console/numbers/{}", number.id()), &cookie).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert!(
        page.contains("<dt>Inbound agent</dt><dd>Oldest desk</dd>"),
        "{page}"
    );
    assert!(page.contains(&format!(
        r#"<option value="{}" selected>Oldest desk</option>"#,
        oldest.id
    )));
    // The agents page goes a page at a time and reaches the oldest.
    let mut path = "/console/agents".to_owned();
    for _ in 0..30 {
        let page = body(test::call_service(&svc, get(&path, &cookie).to_request()).await).await;
        if page.contains("value=\"Oldest desk\"") {
            return;
        }
        path = page
            .split("href=\"")
            .find_map(|rest| {
                let link = rest.split('"').next()?;
                link.starts_with("/console/agents?after=")
                    .then(|| link.to_owned())
            })
            .expect("a Next page link");
    }
    panic!("the oldest agent is on no page");
}
