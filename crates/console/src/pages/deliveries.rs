//! An endpoint's deliveries: the table (also served alone, so the page
//! refreshes it while a delivery is pending), "Retry" on a failed one and
//! "Send test event" (both admin+, decided by the application).

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use thunderphone_app::{Action, AppError};
use thunderphone_domain::{Delivery, DeliveryId, DeliveryStatus, WebhookEndpointId};
use thunderphone_ports::{PageLimit, PageRequest};

use super::endpoint::{After, endpoint_id, render};
use super::{error_page, when};
use crate::ConsoleState;
use crate::guard::{Change, Fields, Signed};

pub(super) fn routes(cfg: &mut ServiceConfig) {
    cfg.route("/webhooks/{id}/deliveries", web::get().to(refresh))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/retry",
            web::post().to(retry),
        )
        .route("/webhooks/{id}/test", web::post().to(test));
}

struct Row {
    id: i64,
    event_type: &'static str,
    status: &'static str,
    attempts: u32,
    last_attempt: String,
    next_attempt: String,
    response: String,
    error: String,
    retry: bool,
}

impl Row {
    fn of(d: &Delivery, can_manage: bool) -> Self {
        Row {
            id: d.id.get(),
            event_type: d.event_type.as_str(),
            status: d.status.as_str(),
            attempts: d.attempts,
            last_attempt: d.last_attempt_at.map_or_else(|| "—".to_owned(), when),
            next_attempt: d.next_attempt_at.map_or_else(|| "—".to_owned(), when),
            response: d
                .last_response_status
                .map_or_else(|| "—".to_owned(), |s| s.to_string()),
            error: d.last_error.clone().unwrap_or_default(),
            retry: can_manage && d.status == DeliveryStatus::Failed,
        }
    }
}

/// The deliveries table: one page, newest first. While a delivery on the
/// first page is pending it asks to be fetched again every two seconds.
#[derive(Template)]
#[template(path = "deliveries.html")]
pub(super) struct DeliveriesPart {
    endpoint: i64,
    csrf: String,
    rows: Vec<Row>,
    polling: bool,
    older: Option<i64>,
    paged: bool,
}

impl DeliveriesPart {
    /// The table's HTML, or a sentence when it cannot be rendered.
    pub fn text(&self) -> String {
        self.render().unwrap_or_else(|error| {
            tracing::error!(%error, "cannot render the deliveries table");
            "<p class=\"error\">The deliveries could not be shown; it has been logged.</p>"
                .to_owned()
        })
    }
}

/// Deliveries per page.
const PER_PAGE: i64 = 50;

/// The page position of a query: `after` a delivery id.
pub(super) fn position(query: &Fields) -> Option<DeliveryId> {
    query
        .get("after")
        .parse()
        .ok()
        .and_then(|id| DeliveryId::new(id).ok())
}

/// One page of the endpoint's deliveries, with what the caller may do.
pub(super) async fn part(
    state: &ConsoleState,
    signed: &Signed,
    id: WebhookEndpointId,
    after: Option<DeliveryId>,
) -> Result<DeliveriesPart, AppError> {
    let caller = &signed.principal;
    let request = PageRequest {
        limit: PageLimit::new(PER_PAGE).unwrap_or_default(),
        after,
    };
    let found = state
        .app
        .list_webhook_deliveries(caller, id, None, request)
        .await?;
    let can_manage = state
        .app
        .authorize(caller, &Action::ManageWebhooks)
        .await
        .is_ok();
    Ok(DeliveriesPart {
        endpoint: id.get(),
        csrf: signed.csrf.clone(),
        polling: after.is_none()
            && found
                .items
                .iter()
                .any(|d| d.status == DeliveryStatus::Pending),
        rows: found.items.iter().map(|d| Row::of(d, can_manage)).collect(),
        older: found.next.map(DeliveryId::get),
        paged: after.is_some(),
    })
}

/// The table alone, for the page's own refresh.
async fn refresh(
    path: web::Path<String>,
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    signed: Signed,
) -> HttpResponse {
    let query = Fields::parse(req.query_string().as_bytes());
    let read = match endpoint_id(&path) {
        Ok(id) => part(&state, &signed, id, position(&query)).await,
        Err(error) => Err(error),
    };
    match read {
        Ok(part) => HttpResponse::build(StatusCode::OK)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(part.text()),
        Err(error) => error_page(&signed, "webhooks", &error),
    }
}

async fn retry(
    path: web::Path<(String, String)>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let (endpoint, delivery) = path.into_inner();
    let id = match endpoint_id(&endpoint) {
        Ok(id) => id,
        Err(error) => return error_page(&change.signed, "webhooks", &error),
    };
    let delivery = delivery
        .parse()
        .ok()
        .and_then(|raw| DeliveryId::new(raw).ok())
        .ok_or(AppError::NotFound("delivery"));
    let outcome = match delivery {
        Ok(delivery) => {
            state
                .app
                .retry_webhook_delivery(&change.signed.principal, id, delivery)
                .await
        }
        Err(error) => Err(error),
    };
    let after = match outcome {
        Ok(due) => After::done(format!("Delivery {} will be attempted again now.", due.id)),
        Err(error) => After::failed(&error),
    };
    render(&state, &change.signed, id, after).await
}

async fn test(
    path: web::Path<String>,
    state: web::Data<ConsoleState>,
    change: Change,
) -> HttpResponse {
    let id = match endpoint_id(&path) {
        Ok(id) => id,
        Err(error) => return error_page(&change.signed, "webhooks", &error),
    };
    let after = match state
        .app
        .send_webhook_test(&change.signed.principal, id)
        .await
    {
        Ok(_) => After::done("Test event sent; its delivery is listed below."),
        Err(error) => After::failed(&error),
    };
    render(&state, &change.signed, id, after).await
}
