//! Orgs, users, memberships and API keys: the operator's side of the
//! store, including the lists of API.md §17 and the all-or-nothing seeding
//! of a whole tenant.

use async_trait::async_trait;
use thunderphone_domain::{
    Agent, ApiKey, ApiKeyId, DisplayName, Email, Membership, Org, OrgId, Principal, Role,
    Timestamp, User, UserId,
};

use crate::{ListCursor, Page, PageRequest, RepoError};

/// Filters of the operator's list of API keys; `None` matches every key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiKeyFilter {
    /// Only keys acting in this org.
    pub org_id: Option<OrgId>,
    /// Only keys of this user.
    pub user_id: Option<UserId>,
}

/// A stored API key as the operator sees it: never the secret, never its
/// hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedApiKey {
    /// The key's record.
    pub key: ApiKey,
    /// When it was revoked; `None` while it works.
    pub revoked_at: Option<Timestamp>,
}

/// A whole tenant to create at once: orgs, one user with a role in each,
/// agents, and one API key. Org references are indexes into `orgs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSeed {
    /// The orgs, in creation order.
    pub orgs: Vec<DisplayName>,
    /// The user.
    pub email: Email,
    /// The user's role in each org (`(org index, role)`).
    pub roles: Vec<(usize, Role)>,
    /// Agents to create (`(org index, name)`), in creation order.
    pub agents: Vec<(usize, DisplayName)>,
    /// The org (index) the API key acts in; the user must have a role there.
    pub key_org: usize,
    /// The hash of the API key's secret.
    pub key_hash: String,
}

/// What [`TenancyRepository::seed_tenant`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededTenant {
    /// The orgs, in the seed's order.
    pub orgs: Vec<Org>,
    /// The user.
    pub user: User,
    /// The agents, in the seed's order.
    pub agents: Vec<Agent>,
    /// The API key.
    pub key: ApiKey,
}

/// Orgs, users, memberships and API keys.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TenancyRepository: Send + Sync {
    /// Creates an org.
    async fn create_org(&self, name: DisplayName, now: Timestamp) -> Result<Org, RepoError>;

    /// Creates a user.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`]`("email")` when the address is registered.
    async fn create_user(&self, email: Email, now: Timestamp) -> Result<User, RepoError>;

    /// Creates or changes a user's role in an org.
    ///
    /// # Errors
    /// [`RepoError::InvalidReference`] for a missing org or user.
    async fn set_membership(
        &self,
        org_id: OrgId,
        user_id: UserId,
        role: Role,
    ) -> Result<Membership, RepoError>;

    /// A user's role in an org, if they are a member.
    async fn find_role(&self, org_id: OrgId, user_id: UserId) -> Result<Option<Role>, RepoError>;

    /// Stores a new API key by the hash of its secret.
    ///
    /// # Errors
    /// [`RepoError::InvalidReference`]`(Membership)` when the user is not a
    /// member of the org.
    async fn create_api_key(
        &self,
        user_id: UserId,
        org_id: OrgId,
        key_hash: String,
        now: Timestamp,
    ) -> Result<ApiKey, RepoError>;

    /// The caller behind a key hash, in one read: `None` when the key is
    /// unknown or revoked, or its user is no longer a member of its org.
    async fn authenticate(&self, key_hash: &str) -> Result<Option<Principal>, RepoError>;

    /// Revokes a key; it stops working at once.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when unknown or already revoked.
    async fn revoke_api_key(&self, id: ApiKeyId, now: Timestamp) -> Result<(), RepoError>;

    /// Creates everything `seed` describes, all stamped `now`, in one
    /// transaction: on any error nothing of it is left behind.
    ///
    /// # Errors
    /// - [`RepoError::Duplicate`]`("email")` when the address is registered.
    /// - [`RepoError::InvalidReference`]`(Membership)` when an org index is
    ///   out of range, or the key's org is not one the user has a role in.
    async fn seed_tenant(
        &self,
        seed: TenantSeed,
        now: Timestamp,
    ) -> Result<SeededTenant, RepoError>;

    /// The user registered with `email`, if any.
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;

    /// Every membership of a user, by org id ascending.
    async fn user_memberships(&self, user_id: UserId) -> Result<Vec<Membership>, RepoError>;

    /// One page of all orgs, newest first (`created_at` desc, then id desc).
    async fn list_orgs(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Org, ListCursor>, RepoError>;

    /// One page of all users, newest first.
    async fn list_users(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<User, ListCursor>, RepoError>;

    /// One page of an org's memberships, ordered by their user, newest
    /// user first (the cursor is the user's `created_at` and id).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when the org does not exist.
    async fn list_members(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Membership, ListCursor>, RepoError>;

    /// One page of API keys matching `filter` (revoked ones included),
    /// newest first.
    async fn list_api_keys(
        &self,
        filter: ApiKeyFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<ListedApiKey, ListCursor>, RepoError>;
}
