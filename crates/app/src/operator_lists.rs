//! The operator's lists (API.md §17) and creating a whole tenant at once.

use thunderphone_domain::{Agent, DisplayName, Email, Membership, Org, OrgId, Role, User, UserId};
use thunderphone_ports::{ApiKeyFilter, ListCursor, ListedApiKey, Page, PageRequest, TenantSeed};

use crate::api_keys::{generate, hash_api_key};
use crate::error::StoreResult;
use crate::{App, AppError, IssuedApiKey};

/// A tenant to create in one step: orgs, one user with a role in each,
/// agents, and an API key. Orgs are referred to by their index in `orgs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    /// The orgs, in creation order.
    pub orgs: Vec<DisplayName>,
    /// The user's e-mail.
    pub email: Email,
    /// The user's role in each org (`(org index, role)`).
    pub roles: Vec<(usize, Role)>,
    /// Agents (`(org index, name)`).
    pub agents: Vec<(usize, DisplayName)>,
    /// The org (index) the API key acts in.
    pub key_org: usize,
}

/// What [`App::create_tenant`] created; the key is shown only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTenant {
    /// The orgs, in the request's order.
    pub orgs: Vec<Org>,
    /// The user.
    pub user: User,
    /// The agents, in the request's order.
    pub agents: Vec<Agent>,
    /// The API key.
    pub key: IssuedApiKey,
}

impl App {
    /// Creates a whole tenant, all or nothing: if any part is refused,
    /// nothing of it is stored.
    ///
    /// # Errors
    /// `Validation` on `email` when the address is registered already, or
    /// when the request refers to an org it does not create.
    pub async fn create_tenant(&self, tenant: NewTenant) -> Result<CreatedTenant, AppError> {
        let key = generate()?;
        let seed = TenantSeed {
            orgs: tenant.orgs,
            email: tenant.email,
            roles: tenant.roles,
            agents: tenant.agents,
            key_org: tenant.key_org,
            key_hash: hash_api_key(&key),
        };
        let seeded = self
            .ports
            .tenancy
            .seed_tenant(seed, self.ports.clock.now())
            .await
            .map_err(AppError::store)?;
        Ok(CreatedTenant {
            orgs: seeded.orgs,
            user: seeded.user,
            agents: seeded.agents,
            key: IssuedApiKey {
                record: seeded.key,
                key,
            },
        })
    }

    /// The user registered with `email`, if any.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, AppError> {
        self.ports
            .tenancy
            .find_user_by_email(email)
            .await
            .map_err(AppError::store)
    }

    /// Every membership of a user, by org id.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn user_memberships(&self, user_id: UserId) -> Result<Vec<Membership>, AppError> {
        self.ports
            .tenancy
            .user_memberships(user_id)
            .await
            .map_err(AppError::store)
    }

    /// One page of orgs, newest first.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn list_orgs(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Org, ListCursor>, AppError> {
        self.ports
            .tenancy
            .list_orgs(page)
            .await
            .map_err(AppError::store)
    }

    /// One page of users, newest first.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn list_users(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<User, ListCursor>, AppError> {
        self.ports
            .tenancy
            .list_users(page)
            .await
            .map_err(AppError::store)
    }

    /// One page of an org's members, newest user first.
    ///
    /// # Errors
    /// `NotFound` when the org does not exist.
    pub async fn list_members(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Membership, ListCursor>, AppError> {
        self.ports
            .tenancy
            .list_members(org_id, page)
            .await
            .not_found_as("org")
    }

    /// One page of API keys (never their secrets), newest first.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn list_api_keys(
        &self,
        filter: ApiKeyFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<ListedApiKey, ListCursor>, AppError> {
        self.ports
            .tenancy
            .list_api_keys(filter, page)
            .await
            .map_err(AppError::store)
    }
}
