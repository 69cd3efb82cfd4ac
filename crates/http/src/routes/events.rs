//! `/v1/events` (API.md §14). An event's JSON is the application's
//! rendering, sent as is: the same bytes its webhook deliveries carry.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use thunderphone_app::event_body;
use thunderphone_domain::{Event, EventId, EventType, PhoneNumberId};
use thunderphone_ports::{EventCursor, EventFilter, PageRequest};

use super::Reply;
use crate::HttpState;
use crate::dto::events::{EventDoc, EventList};
use crate::dto::page::CursorScope;
use crate::dto::params::{EventFilterParams, EventPath, PageParams};
use crate::extract::{Caller, QueryParams, path_id};
use crate::problem::Problem;

/// The routes of this module.
pub fn routes(r: &mut super::Routes) {
    use web::to;
    r.add(__path_list, to(list)).add(__path_get, to(get));
}

fn body(event: &Event) -> Result<Vec<u8>, Problem> {
    event_body(event).map_err(|e| {
        Problem::from(thunderphone_app::AppError::Unexpected(
            thunderphone_ports::Unexpected::context(format!("cannot render event {}", event.id), e),
        ))
    })
}

/// List events, newest first.
#[utoipa::path(get, path = "/v1/events", operation_id = "list_events", tag = "events", params(EventFilterParams, PageParams),
    responses((status = 200, description = "One page", body = EventList)),
    security(("api_key" = [])))]
pub async fn list(state: web::Data<HttpState>, caller: Caller, req: HttpRequest) -> Reply {
    let query = QueryParams::parse(
        req.query_string(),
        &["limit", "cursor", "type", "phone_number_id"],
    )?;
    let kind = query
        .get("type")
        .map(|raw| {
            raw.parse::<EventType>()
                .map_err(|e| Problem::invalid("type", e.to_string()))
        })
        .transpose()?;
    let phone_number_id = query
        .get("phone_number_id")
        .map(|raw| {
            raw.parse::<PhoneNumberId>()
                .map_err(|e| Problem::invalid("phone_number_id", e.to_string()))
        })
        .transpose()?;
    let filter = EventFilter {
        kind,
        phone_number_id,
    };
    let scope = CursorScope::new("events", caller.0.org_id, &query);
    let page = state.cursors.seq_request(&query, &scope)?;
    let page = PageRequest {
        limit: page.limit,
        after: page.after.map(EventCursor),
    };
    let found = state.app.list_events(&caller.0, &filter, page).await?;
    let mut out = b"{\"data\":[".to_vec();
    for (i, event) in found.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend(body(event)?);
    }
    out.extend(b"],\"next_cursor\":");
    let next = found
        .next
        .map(|EventCursor(seq)| state.cursors.encode_seq(seq, &scope));
    out.extend(serde_json::to_vec(&next).unwrap_or_else(|_| b"null".to_vec()));
    out.push(b'}');
    Ok(HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(out))
}

/// Retrieve an event: byte for byte the body its webhooks deliver.
#[utoipa::path(get, path = "/v1/events/{event_id}", operation_id = "get_event", tag = "events", params(EventPath),
    responses((status = 200, description = "The event", body = EventDoc)),
    security(("api_key" = [])))]
pub async fn get(state: web::Data<HttpState>, caller: Caller, path: web::Path<String>) -> Reply {
    let id: EventId = path_id(&path, "event")?;
    let event = state.app.get_event(&caller.0, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(body(&event)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;
    use thunderphone_domain::{AreaCode, E164, NewPhoneNumber, OrgId};

    use super::*;
    use crate::dto::numbers::PhoneNumberDto;

    /// An event's `data.phone_number` is the phone-number object the API
    /// answers with, field for field.
    #[test]
    fn events_carry_the_api_phone_number_object() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        let number = E164::demo_pool(AreaCode::parse("415").unwrap(), 7).unwrap();
        let created = NewPhoneNumber::demo(OrgId::new(1).unwrap(), number, now)
            .into_created(PhoneNumberId::new(9).unwrap());
        let event = Event::created(&created, None, EventId::new(now, 1));
        let rendered: serde_json::Value = serde_json::from_slice(&body(&event).unwrap()).unwrap();
        let api = serde_json::to_value(PhoneNumberDto::from(&created)).unwrap();
        assert_eq!(rendered["data"]["phone_number"], api);
        assert_eq!(rendered["data"]["version"], 1);
        assert_eq!(rendered["type"], "phone_number.created");
        assert_eq!(rendered["timestamp"], api["created_at"]);
    }
}
