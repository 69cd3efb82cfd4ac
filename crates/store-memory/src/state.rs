//! The whole in-memory state, guarded by one lock in [`crate::MemoryStore`],
//! and the helpers shared by every repository: id counters, per-org
//! ordered indexes and keyset pages over them.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use thunderphone_domain::{
    Agent, AgentId, ApiKey, ApiKeyId, E164, IdError, Org, OrgId, PhoneNumber, PhoneNumberId, Role,
    Timestamp, User, UserId, VersionSnapshot, VoipConnection, VoipConnectionId,
};
use thunderphone_ports::{ListCursor, Page, PageRequest, Reference, RepoError, Unexpected};

/// Keys of one org's records in list order: iterated in reverse, newest
/// first (`created_at` desc, then id desc). Ids are kept raw so any
/// cursor, even one with a nonsensical id, is a valid range bound.
pub(crate) type OrgIndex = BTreeSet<(Timestamp, i64)>;

/// A phone number with its history. Deleted numbers stay (flagged) so
/// their history is kept; they are in neither `held` nor an org index.
#[derive(Debug, Clone)]
pub(crate) struct StoredNumber {
    pub(crate) number: PhoneNumber,
    pub(crate) deleted: bool,
    /// Every snapshot, ascending by version.
    pub(crate) versions: Vec<VersionSnapshot>,
}

/// A connection and, beside it, its credentials.
#[derive(Clone)]
pub(crate) struct StoredConnection {
    pub(crate) connection: VoipConnection,
    pub(crate) credentials: thunderphone_ports::SealedCredentials,
}

/// An API key and when it was revoked, if it was.
#[derive(Debug, Clone)]
pub(crate) struct StoredKey {
    pub(crate) key: ApiKey,
    pub(crate) revoked_at: Option<Timestamp>,
}

/// The last id handed out per table; the first id is 1.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) org: i64,
    pub(crate) user: i64,
    pub(crate) api_key: i64,
    pub(crate) agent: i64,
    pub(crate) number: i64,
    pub(crate) connection: i64,
    pub(crate) webhook_endpoint: i64,
}

/// Everything the store holds.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) counters: Counters,
    pub(crate) numbers: HashMap<PhoneNumberId, StoredNumber>,
    /// Not-deleted numbers by E.164: the uniqueness invariant and the pool.
    pub(crate) held: HashMap<E164, PhoneNumberId>,
    /// Not-deleted numbers per holding org.
    pub(crate) numbers_by_org: HashMap<OrgId, OrgIndex>,
    pub(crate) agents: HashMap<AgentId, Agent>,
    pub(crate) agents_by_org: HashMap<OrgId, OrgIndex>,
    pub(crate) connections: HashMap<VoipConnectionId, StoredConnection>,
    pub(crate) connections_by_org: HashMap<OrgId, OrgIndex>,
    pub(crate) orgs: HashMap<OrgId, Org>,
    pub(crate) users: HashMap<UserId, User>,
    /// Lower-case e-mail → user.
    pub(crate) users_by_email: HashMap<String, UserId>,
    pub(crate) memberships: HashMap<(OrgId, UserId), Role>,
    /// Keys by the hash of their secret.
    pub(crate) api_keys: HashMap<String, StoredKey>,
    pub(crate) key_hashes: HashMap<ApiKeyId, String>,
    /// Idempotency keys by org and key.
    pub(crate) idempotency: HashMap<(OrgId, String), crate::idempotency::IdempotencyEntry>,
    /// Activation jobs by number.
    pub(crate) jobs: std::collections::BTreeMap<PhoneNumberId, crate::jobs::JobState>,
    /// Events and their deliveries.
    pub(crate) events: crate::events::EventLog,
    pub(crate) endpoints:
        HashMap<thunderphone_domain::WebhookEndpointId, crate::webhooks::StoredEndpoint>,
    pub(crate) endpoints_by_org: HashMap<OrgId, OrgIndex>,
    /// Console sessions by the hash of their id.
    pub(crate) sessions: HashMap<String, crate::sessions::StoredSession>,
}

impl State {
    /// `InvalidReference(Org)` unless the org exists.
    pub(crate) fn require_org(&self, org_id: OrgId) -> Result<(), RepoError> {
        if self.orgs.contains_key(&org_id) {
            Ok(())
        } else {
            Err(RepoError::InvalidReference(Reference::Org(org_id.get())))
        }
    }

    /// A not-deleted number, of any org.
    pub(crate) fn live_number(&self, id: PhoneNumberId) -> Option<&StoredNumber> {
        self.numbers.get(&id).filter(|stored| !stored.deleted)
    }

    /// A not-deleted number held by `org_id`.
    pub(crate) fn org_number(&self, org_id: OrgId, id: PhoneNumberId) -> Option<&StoredNumber> {
        self.live_number(id)
            .filter(|stored| stored.number.org_id() == org_id)
    }

    /// The not-deleted numbers held by `org_id`, in no particular order.
    pub(crate) fn org_numbers(&self, org_id: OrgId) -> impl Iterator<Item = &PhoneNumber> {
        self.numbers_by_org
            .get(&org_id)
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| {
                let id = PhoneNumberId::new(*id).ok()?;
                self.live_number(id).map(|stored| &stored.number)
            })
    }
}

/// Takes the next id of a counter (the first is 1).
pub(crate) fn next_id<T>(
    counter: &mut i64,
    make: impl FnOnce(i64) -> Result<T, IdError>,
) -> Result<T, RepoError> {
    let next = counter
        .checked_add(1)
        .ok_or_else(|| RepoError::unexpected("id counter overflow"))?;
    let id = make(next).map_err(|e| RepoError::Unexpected(Unexpected::new(e)))?;
    *counter = next;
    Ok(id)
}

/// Adds a record to its org's index.
pub(crate) fn index_insert(
    indexes: &mut HashMap<OrgId, OrgIndex>,
    org_id: OrgId,
    created_at: Timestamp,
    id: i64,
) {
    indexes.entry(org_id).or_default().insert((created_at, id));
}

/// Removes a record from its org's index.
pub(crate) fn index_remove(
    indexes: &mut HashMap<OrgId, OrgIndex>,
    org_id: OrgId,
    created_at: Timestamp,
    id: i64,
) {
    if let Some(index) = indexes.get_mut(&org_id) {
        index.remove(&(created_at, id));
        if index.is_empty() {
            indexes.remove(&org_id);
        }
    }
}

/// One page of an org's records, newest first, strictly after the cursor.
/// Walks the index backwards from the cursor (never from the start);
/// `load` returns `None` for records the caller filters out.
pub(crate) fn keyset_page<T>(
    index: Option<&OrgIndex>,
    page: PageRequest<ListCursor>,
    load: impl Fn(i64) -> Option<T>,
    cursor_of: impl Fn(&T) -> ListCursor,
) -> Page<T, ListCursor> {
    let upper = match page.after {
        Some(after) => Bound::Excluded((after.created_at, after.id)),
        None => Bound::Unbounded,
    };
    let items = index
        .into_iter()
        .flat_map(|index| index.range((Bound::Unbounded, upper)).rev())
        .filter_map(|(_, id)| load(*id))
        .take(page.limit.get().saturating_add(1))
        .collect();
    Page::from_overfetch(items, page.limit, cursor_of)
}

/// The cursor of a record.
pub(crate) fn cursor(created_at: Timestamp, id: i64) -> ListCursor {
    ListCursor { created_at, id }
}
