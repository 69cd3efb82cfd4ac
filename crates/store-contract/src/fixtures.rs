//! Small builders for the contract cases: fixed timestamps, tenants with a
//! working API key, agents, connections and numbers. They panic on any
//! unexpected store error, naming the step that failed.

use chrono::{TimeDelta, TimeZone, Utc};
use thunderphone_domain::{
    Actor, Agent, AgentId, AgentUpdate, ApiKeyId, AreaCode, DisplayName, E164, Email,
    NewPhoneNumber, OrgId, PhoneNumber, PhoneNumberId, Principal, Role, Status, Timestamp, Updated,
    UserId, Verification, VoipConnection, VoipConnectionId, VoipProvider,
};
use thunderphone_ports::{
    ListCursor, NewVoipConnection, NumberChange, NumberFilter, Page, PageLimit, PageRequest,
    SealedCredentials,
};

use crate::TestStore;

/// The fixed instant every fixture timestamp is counted from.
pub fn base() -> Timestamp {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("valid base timestamp")
}

/// `base() + seconds`.
pub fn at(seconds: i64) -> Timestamp {
    base() + TimeDelta::seconds(seconds)
}

/// An area code from its three digits.
pub fn area(code: &str) -> AreaCode {
    AreaCode::parse(code).expect("valid area code")
}

/// Demo-pool line `line` (0–99) of area code `code`: `+1 code 555-01xx`.
pub fn pool(code: &str, line: u8) -> E164 {
    E164::demo_pool(area(code), line).expect("line below 100")
}

/// A page size.
pub fn limit(size: i64) -> PageLimit {
    PageLimit::new(size).expect("page size 1-200")
}

/// A display name.
pub fn name(value: &str) -> DisplayName {
    DisplayName::parse(value).expect("valid display name")
}

/// An e-mail address.
pub fn email(value: &str) -> Email {
    Email::parse(value).expect("valid e-mail")
}

/// Ids that no store hands out in these tests.
pub fn missing_org() -> OrgId {
    OrgId::new(999_999).expect("positive")
}

/// See [`missing_org`].
pub fn missing_user() -> UserId {
    UserId::new(999_999).expect("positive")
}

/// See [`missing_org`].
pub fn missing_agent() -> AgentId {
    AgentId::new(999_999).expect("positive")
}

/// See [`missing_org`].
pub fn missing_number() -> PhoneNumberId {
    PhoneNumberId::new(999_999).expect("positive")
}

/// See [`missing_org`].
pub fn missing_key() -> ApiKeyId {
    ApiKeyId::new(999_999).expect("positive")
}

/// An org with one owner and an API key acting for them.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The org.
    pub org_id: OrgId,
    /// Its owner.
    pub user_id: UserId,
    /// The owner's key in the org.
    pub api_key_id: ApiKeyId,
    /// The hash the key is stored under.
    pub key_hash: String,
}

impl Tenant {
    /// The actor recorded for changes made with the tenant's key.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id,
            api_key_id: self.api_key_id,
        }
    }
    /// The principal the tenant's key authenticates as: its owner.
    pub fn principal(&self) -> Principal {
        Principal {
            api_key_id: self.api_key_id,
            user_id: self.user_id,
            org_id: self.org_id,
            role: Role::Owner,
        }
    }
}

/// Creates org `label`, user `label@example.com` as its owner, and a key
/// with hash `hash-label`. Labels must be unique within a store.
pub async fn tenant<S: TestStore>(store: &S, label: &str) -> Tenant {
    let org = store
        .create_org(name(label), base())
        .await
        .expect("create_org");
    let user = store
        .create_user(email(&format!("{label}@example.com")), base())
        .await
        .expect("create_user");
    store
        .set_membership(org.id, user.id, Role::Owner)
        .await
        .expect("set_membership");
    let key_hash = format!("hash-{label}");
    let key = store
        .create_api_key(user.id, org.id, key_hash.clone(), base())
        .await
        .expect("create_api_key");
    Tenant {
        org_id: org.id,
        user_id: user.id,
        api_key_id: key.id,
        key_hash,
    }
}

/// Creates an agent.
pub async fn agent<S: TestStore>(store: &S, org_id: OrgId, label: &str, now: Timestamp) -> Agent {
    store
        .create_agent(org_id, name(label), now)
        .await
        .expect("create_agent")
}

/// Sealed credentials as a vault would make them: stores only ever see
/// opaque bytes under a key id.
pub fn sealed(key_id: &str, bytes: &[u8]) -> SealedCredentials {
    SealedCredentials {
        key_id: key_id.to_owned(),
        ciphertext: bytes.to_vec(),
    }
}

/// The sealed credentials fixture connections are created with.
pub fn twilio_credentials() -> SealedCredentials {
    sealed("k1", b"\x01sealed-twilio-credentials")
}

/// Creates a Twilio connection.
pub async fn connection<S: TestStore>(
    store: &S,
    org_id: OrgId,
    label: &str,
    now: Timestamp,
) -> VoipConnection {
    store
        .create_connection(NewVoipConnection {
            org_id,
            name: name(label),
            provider: VoipProvider::Twilio,
            termination_uri: None,
            credentials: twilio_credentials(),
            created_at: now,
        })
        .await
        .expect("create_connection")
}

/// Imports `numbers` as VoIP numbers of `org_id` through `connection`.
pub async fn import<S: TestStore>(
    store: &S,
    org_id: OrgId,
    connection: VoipConnectionId,
    numbers: &[E164],
    now: Timestamp,
) -> Vec<PhoneNumber> {
    let drafts = numbers
        .iter()
        .map(|n| NewPhoneNumber::voip(org_id, n.clone(), connection, now))
        .collect();
    store
        .insert_numbers(drafts, None)
        .await
        .expect("insert_numbers (voip)")
}

/// Inserts `numbers` as demo numbers of `org_id` (bypassing the pool).
pub async fn demo<S: TestStore>(
    store: &S,
    org_id: OrgId,
    numbers: &[E164],
    now: Timestamp,
) -> Vec<PhoneNumber> {
    let drafts = numbers
        .iter()
        .map(|n| NewPhoneNumber::demo(org_id, n.clone(), now))
        .collect();
    store
        .insert_numbers(drafts, None)
        .await
        .expect("insert_numbers (demo)")
}

/// Claims one pool number in `code`, which must have a free line.
pub async fn claim<S: TestStore>(
    store: &S,
    org_id: OrgId,
    code: &str,
    now: Timestamp,
) -> PhoneNumber {
    store
        .claim_pool_number(org_id, &[area(code)], now, None)
        .await
        .expect("claim_pool_number")
        .expect("a free pool number")
}

/// Saves a transition computed from `number` (expected = its version).
pub async fn save<S: TestStore>(
    store: &S,
    number: &PhoneNumber,
    updated: Updated,
    actor: Option<Actor>,
) -> PhoneNumber {
    store
        .save_change(NumberChange {
            expected: number.version(),
            updated,
            actor,
            checks: Vec::new(),
        })
        .await
        .expect("save_change")
}

/// Activates a provisioning demo number.
pub async fn activate<S: TestStore>(
    store: &S,
    number: &PhoneNumber,
    now: Timestamp,
) -> PhoneNumber {
    let updated = number.activate(now).expect("activate transition");
    save(store, number, updated, None).await
}

/// Marks a VoIP number verified (and so `active`).
pub async fn verify<S: TestStore>(store: &S, number: &PhoneNumber, now: Timestamp) -> PhoneNumber {
    let updated = number
        .record_verification(Verification::Passed, now)
        .expect("verification transition");
    save(store, number, updated, None).await
}

/// The transition setting agents and/or status.
pub fn update(
    number: &PhoneNumber,
    inbound: Option<Option<AgentId>>,
    outbound: Option<Option<AgentId>>,
    status: Option<Status>,
    now: Timestamp,
) -> Updated {
    number
        .update(AgentUpdate { inbound, outbound }, status, now)
        .expect("update transition")
        .expect("update changes something")
}

/// Sets agents and/or status and saves it.
pub async fn change<S: TestStore>(
    store: &S,
    number: &PhoneNumber,
    inbound: Option<Option<AgentId>>,
    outbound: Option<Option<AgentId>>,
    status: Option<Status>,
    now: Timestamp,
) -> PhoneNumber {
    let updated = update(number, inbound, outbound, status, now);
    save(store, number, updated, None).await
}

/// More pages than any walk in the suite needs: a walk that gets this far
/// has a cursor that does not move forward.
pub const MAX_PAGES: usize = 1_000;

/// The panic message of a walk that never ends.
pub const TOO_MANY_PAGES: &str = "the page walk does not end: the next cursor does not advance";

/// Moves a page request on to `next`, which must differ from the cursor
/// the page was read after (else the walk would never end).
pub fn advance<C: PartialEq + std::fmt::Debug>(after: &mut Option<C>, next: C) {
    assert_ne!(
        after.as_ref(),
        Some(&next),
        "the next cursor must move past the one the page was read after"
    );
    *after = Some(next);
}

/// Walks every page of `list_numbers`, checking each page's size and cursor.
pub async fn walk_numbers<S: TestStore>(
    store: &S,
    org_id: OrgId,
    filter: &NumberFilter,
    size: i64,
) -> Vec<PhoneNumber> {
    let mut all = Vec::new();
    let mut request = PageRequest::first(limit(size));
    for _ in 0..MAX_PAGES {
        let page = store
            .list_numbers(org_id, filter, request)
            .await
            .expect("list_numbers");
        check_page(&page, size, |n| cursor(n.created_at(), n.id().get()));
        all.extend(page.items);
        match page.next {
            Some(next) => advance(&mut request.after, next),
            None => return all,
        }
    }
    panic!("{}", TOO_MANY_PAGES)
}

/// The keyset cursor of an item.
pub fn cursor(created_at: Timestamp, id: i64) -> ListCursor {
    ListCursor { created_at, id }
}

/// A page holds at most `size` items; a page with a next cursor is full and
/// the cursor is its last item's.
pub fn check_page<T, C: PartialEq + std::fmt::Debug>(
    page: &Page<T, C>,
    size: i64,
    cursor_of: impl Fn(&T) -> C,
) {
    let size = usize::try_from(size).expect("positive size");
    assert!(page.items.len() <= size, "page larger than its limit");
    if let Some(next) = &page.next {
        assert_eq!(page.items.len(), size, "a page with a next cursor is full");
        assert_eq!(
            Some(next),
            page.items.last().map(cursor_of).as_ref(),
            "the next cursor is the last item's"
        );
    }
}

/// Ids in list order: `created_at` desc, then id desc.
pub fn newest_first(numbers: &[PhoneNumber]) -> Vec<PhoneNumberId> {
    let mut keys: Vec<_> = numbers.iter().map(|n| (n.created_at(), n.id())).collect();
    keys.sort_by(|a, b| b.cmp(a));
    keys.into_iter().map(|(_, id)| id).collect()
}

/// The ids of `numbers`, in their order.
pub fn ids(numbers: &[PhoneNumber]) -> Vec<PhoneNumberId> {
    numbers.iter().map(PhoneNumber::id).collect()
}
