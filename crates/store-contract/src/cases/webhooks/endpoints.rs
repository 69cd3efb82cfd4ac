//! Endpoints: create, find, list, change, rotate, delete, per org.

use super::*;

/// Endpoints: create, find, list, change, rotate, delete; org-scoped; at
/// most `max_per_org`.
pub async fn webhooks_endpoints_crud_and_limit<S: TestStore>(store: Arc<S>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let first = endpoint(&*store, acme.org_id, &[], at(1)).await;
    assert!(first.enabled && first.disabled_reason.is_none());
    assert_eq!(
        store
            .find_endpoint(acme.org_id, first.id)
            .await
            .expect("find"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .find_endpoint(other.org_id, first.id)
            .await
            .expect("find"),
        None
    );
    let second = endpoint(&*store, acme.org_id, &[EventType::Activated], at(2)).await;
    let new = |n: i64| NewWebhookEndpoint {
        org_id: acme.org_id,
        url: url("https://hooks.example.com/third"),
        event_types: EventTypes::all(),
        description: None,
        secret: sealed("k1", b"s"),
        created_at: at(n),
    };
    assert_eq!(
        store.create_endpoint(new(3), 2).await.expect("create"),
        None,
        "limit reached"
    );
    let page = store
        .list_endpoints(
            acme.org_id,
            PageRequest {
                limit: limit(1),
                after: None,
            },
        )
        .await
        .expect("list");
    assert_eq!(page.items, std::slice::from_ref(&second), "newest first");
    let rest = store
        .list_endpoints(
            acme.org_id,
            PageRequest {
                limit: limit(1),
                after: page.next,
            },
        )
        .await
        .expect("list");
    assert_eq!(rest.items, std::slice::from_ref(&first));
    assert_eq!(rest.next, None);

    let changed = store
        .update_endpoint(
            acme.org_id,
            first.id,
            EndpointChange {
                url: Some(url("https://other.example.com/x")),
                event_types: Some(EventTypes::new([EventType::Deleted]).expect("types")),
                description: Some(None),
                enabled: Some(false),
            },
        )
        .await
        .expect("update");
    assert_eq!(changed.url.as_str(), "https://other.example.com/x");
    assert_eq!(changed.event_types.as_slice(), [EventType::Deleted]);
    assert_eq!(changed.description, None);
    assert!(!changed.enabled);
    assert!(
        store
            .update_endpoint(other.org_id, first.id, EndpointChange::default())
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
    assert!(
        store
            .rotate_secret(other.org_id, first.id, sealed("k1", b"x"), at(9))
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
    assert!(
        store
            .delete_endpoint(other.org_id, first.id)
            .await
            .is_err_and(|e| e == thunderphone_ports::RepoError::NotFound)
    );
    store
        .delete_endpoint(acme.org_id, first.id)
        .await
        .expect("delete");
    assert_eq!(
        store
            .find_endpoint(acme.org_id, first.id)
            .await
            .expect("find"),
        None
    );
    assert!(
        store
            .create_endpoint(new(4), 2)
            .await
            .expect("create")
            .is_some(),
        "room again"
    );
}
