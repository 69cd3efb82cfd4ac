//! A number's history beyond one page, and who made each change.

use actix_web::test;

use crate::support::*;

#[actix_web::test]
async fn the_history_pages_back_past_fifty_versions_and_names_the_actor() {
    let w = world().await;
    let owner = principal(&w.app, &w.owner).await;
    let agent = w
        .app
        .create_agent(
            &owner,
            thunderphone_domain::DisplayName::parse("Front desk").unwrap(),
        )
        .await
        .unwrap();
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
    // 60 changes: versions 2 to 61.
    for i in 0..60 {
        let chosen = (i % 2 == 0).then_some(agent.id);
        w.app
            .update_number(
                &owner,
                number.id(),
                thunderphone_app::NumberUpdate {
                    agents: thunderphone_domain::AgentUpdate {
                        inbound: Some(chosen),
                        outbound: None,
                    },
                    status: None,
                },
                None,
            )
            .await
            .unwrap();
    }
    let svc = service!(w.app);
    let (cookie, _) = sign_in!(svc, &w.owner);
    let path = format!("/console/numbers/{}", number.id());
    let page = body(test::call_service(&svc, get(&path, &cookie).to_request()).await).await;
    assert!(page.contains("<strong>Version 61</strong>"), "{page}");
    assert!(page.contains("<strong>Version 12</strong>"));
    assert!(!page.contains("<strong>Version 11</strong>"));
    assert!(
        page.contains("by you (this API key, #"),
        "the caller's own changes: {page}"
    );
    let older = page
        .split("href=\"")
        .find_map(|rest| {
            let link = rest.split('"').next()?;
            link.contains("history_after=").then(|| link.to_owned())
        })
        .expect("an Older versions link");
    assert_eq!(older, format!("{path}?history_after=12#history-heading"));
    let page = body(
        test::call_service(
            &svc,
            get(older.split('#').next().unwrap(), &cookie).to_request(),
        )
        .await,
    )
    .await;
    assert!(page.contains("<strong>Version 11</strong>"), "{page}");
    assert!(page.contains("<strong>Version 1</strong>: created"));
    assert!(!page.contains("<strong>Version 12</strong>"));
    assert!(page.contains(">Newest versions</a>"));
    assert!(!page.contains("Older versions"));
}
