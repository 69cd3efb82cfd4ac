//! Webhook endpoints and the delivery outbox: deliveries are written with
//! their event, leased exclusively, retried on schedule, and endpoints
//! that keep failing are disabled. The cases are in one file per concern;
//! the helpers they share are here.

mod attempts;
mod endpoints;
mod fan_out;

pub use attempts::*;
pub use endpoints::*;
pub use fan_out::*;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use thunderphone_domain::{
    Delivery, DeliveryId, DeliveryStatus, Description, Event, EventType, EventTypes, OrgId,
    Timestamp, WebhookEndpoint, WebhookUrl,
};
use thunderphone_ports::{
    Attempt, AttemptOutcome, EndpointChange, NewWebhookEndpoint, PageRequest,
};

use crate::TestStore;
use crate::fixtures::{activate, at, claim, limit, sealed, tenant};

fn url(value: &str) -> WebhookUrl {
    WebhookUrl::parse(value).expect("valid url")
}

/// Creates an endpoint of `org_id` subscribed to `types` (all if empty).
pub async fn endpoint<S: TestStore>(
    store: &S,
    org_id: OrgId,
    types: &[EventType],
    now: Timestamp,
) -> WebhookEndpoint {
    let event_types = if types.is_empty() {
        EventTypes::all()
    } else {
        EventTypes::new(types.iter().copied()).expect("event types")
    };
    store
        .create_endpoint(
            NewWebhookEndpoint {
                org_id,
                url: url("https://hooks.example.com/in"),
                event_types,
                description: Some(Description::parse("main").expect("description")),
                secret: sealed("k1", b"secret-one"),
                created_at: now,
            },
            20,
        )
        .await
        .expect("create_endpoint")
        .expect("under the limit")
}

/// Every delivery of an endpoint, newest first.
pub async fn deliveries<S: TestStore>(
    store: &S,
    org_id: OrgId,
    endpoint: &WebhookEndpoint,
    status: Option<DeliveryStatus>,
) -> Vec<Delivery> {
    let mut all = Vec::new();
    let mut after: Option<DeliveryId> = None;
    loop {
        let page = store
            .list_deliveries(
                org_id,
                endpoint.id,
                status,
                PageRequest {
                    limit: limit(2),
                    after,
                },
            )
            .await
            .expect("list_deliveries");
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

fn failed(
    at_: Timestamp,
    retry_at: Option<Timestamp>,
    since: Timestamp,
) -> (Timestamp, AttemptOutcome, Timestamp) {
    (
        at_,
        AttemptOutcome::Failed {
            status: Some(500),
            error: "the endpoint answered 500".into(),
            retry_at,
        },
        since,
    )
}

async fn record<S: TestStore>(
    store: &S,
    id: DeliveryId,
    (at_, outcome, since): (Timestamp, AttemptOutcome, Timestamp),
) {
    store
        .record_attempt(Attempt {
            delivery_id: id,
            at: at_,
            outcome,
            disable_if_failing_since: since,
        })
        .await
        .expect("record_attempt");
}
