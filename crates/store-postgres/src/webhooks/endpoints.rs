//! Webhook endpoints: rows, their mapping to the domain, and the
//! create/read/change/delete/rotate calls. The sealed secrets are only
//! written here; `lease.rs` reads them for the sender.

use diesel::prelude::*;
use thunderphone_domain::{
    Description, EventType, EventTypes, OrgId, Timestamp, WebhookEndpoint, WebhookEndpointId,
    WebhookUrl,
};
use thunderphone_ports::{
    EndpointChange, ListCursor, NewWebhookEndpoint, Page, PageRequest, Reference, RepoError,
    SealedCredentials,
};

use crate::error::{Failure, corrupt};
use crate::page::{before, overfetch};
use crate::rows::{id, wire};
use crate::schema::{orgs, webhook_endpoints};

/// A `webhook_endpoints` row without its secrets.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints, check_for_backend(diesel::pg::Pg))]
pub(super) struct EndpointRow {
    id: i64,
    org_id: i64,
    url: String,
    event_types: Vec<String>,
    description: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    created_at: Timestamp,
}

impl EndpointRow {
    pub(super) fn into_domain(self) -> Result<WebhookEndpoint, Failure> {
        let types = self
            .event_types
            .iter()
            .map(|t| wire::<EventType>("event type", t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WebhookEndpoint {
            id: id("webhook endpoint id", self.id, WebhookEndpointId::new)?,
            org_id: id("org id", self.org_id, OrgId::new)?,
            url: url(&self.url)?,
            event_types: EventTypes::new(types).map_err(|e| corrupt("event types", e))?,
            description: self
                .description
                .map(|d| Description::parse(&d).map_err(|e| corrupt("description", e)))
                .transpose()?,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            created_at: self.created_at,
        })
    }
}

/// Decodes a stored URL.
pub(super) fn url(raw: &str) -> Result<WebhookUrl, Failure> {
    WebhookUrl::parse(raw).map_err(|e| corrupt("webhook url", e))
}

/// The wire names of a set of types, as stored.
fn type_names(types: &EventTypes) -> Vec<&'static str> {
    types.as_slice().iter().map(|t| t.as_str()).collect()
}

/// `create_endpoint`: the org row is locked (`FOR NO KEY UPDATE`: writers
/// of the org's numbers, which only key-share lock it, are not held up)
/// so that concurrent creations of one org count and insert in turn.
pub(super) fn create(
    conn: &mut PgConnection,
    new: NewWebhookEndpoint,
    max_per_org: usize,
) -> Result<Option<WebhookEndpoint>, Failure> {
    conn.transaction(|conn| {
        let org = new.org_id.get();
        let found = orgs::table
            .find(org)
            .select(orgs::id)
            .for_no_key_update()
            .first::<i64>(conn)
            .optional()?;
        if found.is_none() {
            return Err(RepoError::InvalidReference(Reference::Org(org)).into());
        }
        let held: i64 = webhook_endpoints::table
            .filter(webhook_endpoints::org_id.eq(org))
            .count()
            .get_result(conn)?;
        if usize::try_from(held).unwrap_or(usize::MAX) >= max_per_org {
            return Ok(None);
        }
        let row: EndpointRow = diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::org_id.eq(org),
                webhook_endpoints::url.eq(new.url.as_str()),
                webhook_endpoints::event_types.eq(type_names(&new.event_types)),
                webhook_endpoints::description
                    .eq(new.description.as_ref().map(Description::as_str)),
                webhook_endpoints::enabled.eq(true),
                webhook_endpoints::created_at.eq(new.created_at),
                webhook_endpoints::secret_key_id.eq(&new.secret.key_id),
                webhook_endpoints::secret_sealed.eq(&new.secret.ciphertext),
            ))
            .returning(EndpointRow::as_returning())
            .get_result(conn)?;
        row.into_domain().map(Some)
    })
}

/// One page of an org's endpoints, newest first.
pub(super) fn list(
    conn: &mut PgConnection,
    org_id: OrgId,
    page: PageRequest<ListCursor>,
) -> Result<Page<WebhookEndpoint, ListCursor>, Failure> {
    let mut query = webhook_endpoints::table
        .filter(webhook_endpoints::org_id.eq(org_id.get()))
        .select(EndpointRow::as_select())
        .order((
            webhook_endpoints::created_at.desc(),
            webhook_endpoints::id.desc(),
        ))
        .limit(overfetch(page.limit))
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(before(after));
    }
    let items = query
        .load(conn)?
        .into_iter()
        .map(EndpointRow::into_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |e| ListCursor {
        created_at: e.created_at,
        id: e.id.get(),
    }))
}

/// An endpoint of `org_id`, or `None`.
pub(super) fn find(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
) -> Result<Option<WebhookEndpoint>, Failure> {
    webhook_endpoints::table
        .find(endpoint.get())
        .filter(webhook_endpoints::org_id.eq(org_id.get()))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
        .map(EndpointRow::into_domain)
        .transpose()
}

/// The columns a change sets; `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
struct Changes<'a> {
    url: Option<&'a str>,
    event_types: Option<Vec<&'static str>>,
    description: Option<Option<&'a str>>,
    enabled: Option<bool>,
    disabled_reason: Option<Option<String>>,
    failing_since: Option<Option<Timestamp>>,
}

/// `update_endpoint`. Setting `enabled` either way clears the server's
/// `disabled_reason` (an endpoint the org disables has none); enabling
/// also ends the run of failures, so one more failure does not disable
/// it again at once.
pub(super) fn update(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
    change: &EndpointChange,
) -> Result<WebhookEndpoint, Failure> {
    let changes = Changes {
        url: change.url.as_ref().map(WebhookUrl::as_str),
        event_types: change.event_types.as_ref().map(type_names),
        description: change
            .description
            .as_ref()
            .map(|d| d.as_ref().map(Description::as_str)),
        enabled: change.enabled,
        disabled_reason: change.enabled.map(|_| None),
        failing_since: change.enabled.filter(|e| *e).map(|_| None),
    };
    let nothing = changes.url.is_none()
        && changes.event_types.is_none()
        && changes.description.is_none()
        && changes.enabled.is_none();
    if nothing {
        return find(conn, org_id, endpoint)?.ok_or_else(|| RepoError::NotFound.into());
    }
    let row: Option<EndpointRow> = diesel::update(
        webhook_endpoints::table
            .find(endpoint.get())
            .filter(webhook_endpoints::org_id.eq(org_id.get())),
    )
    .set(changes)
    .returning(EndpointRow::as_returning())
    .get_result(conn)
    .optional()?;
    row.ok_or(RepoError::NotFound)?.into_domain()
}

/// `delete_endpoint`; its deliveries go by the foreign key's cascade.
pub(super) fn delete(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
) -> Result<(), Failure> {
    let deleted = diesel::delete(
        webhook_endpoints::table
            .find(endpoint.get())
            .filter(webhook_endpoints::org_id.eq(org_id.get())),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(RepoError::NotFound.into());
    }
    Ok(())
}

/// `rotate_secret`: the current secret becomes the previous one (in one
/// `UPDATE`, whose right-hand sides read the row as it was).
pub(super) fn rotate(
    conn: &mut PgConnection,
    org_id: OrgId,
    endpoint: WebhookEndpointId,
    secret: &SealedCredentials,
    previous_until: Timestamp,
) -> Result<WebhookEndpoint, Failure> {
    use webhook_endpoints::dsl as w;
    let row: Option<EndpointRow> = diesel::update(
        webhook_endpoints::table
            .find(endpoint.get())
            .filter(w::org_id.eq(org_id.get())),
    )
    .set((
        w::previous_secret_key_id.eq(w::secret_key_id.nullable()),
        w::previous_secret_sealed.eq(w::secret_sealed.nullable()),
        w::previous_secret_until.eq(previous_until),
        w::secret_key_id.eq(&secret.key_id),
        w::secret_sealed.eq(&secret.ciphertext),
    ))
    .returning(EndpointRow::as_returning())
    .get_result(conn)
    .optional()?;
    row.ok_or(RepoError::NotFound)?.into_domain()
}
