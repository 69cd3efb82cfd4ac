//! Orgs, users, memberships and API keys.

use async_trait::async_trait;
use thunderphone_domain::{
    ApiKey, ApiKeyId, DisplayName, Email, Membership, Org, OrgId, Principal, Role, Timestamp, User,
    UserId,
};
use thunderphone_ports::{
    ApiKeyFilter, ListCursor, ListedApiKey, Page, PageRequest, Reference, RepoError, SeededTenant,
    TenancyRepository, TenantSeed,
};

use crate::MemoryStore;
use crate::state::{State, StoredKey, next_id};

impl State {
    pub(crate) fn create_org(
        &mut self,
        name: DisplayName,
        now: Timestamp,
    ) -> Result<Org, RepoError> {
        let id = next_id(&mut self.counters.org, OrgId::new)?;
        let org = Org {
            id,
            name,
            created_at: now,
        };
        self.orgs.insert(id, org.clone());
        Ok(org)
    }

    pub(crate) fn create_user(&mut self, email: Email, now: Timestamp) -> Result<User, RepoError> {
        // `Email` is lower-case already; lowering again keeps the index
        // case-insensitive whatever produced the value.
        let key = email.as_str().to_lowercase();
        if self.users_by_email.contains_key(&key) {
            return Err(RepoError::Duplicate("email"));
        }
        let id = next_id(&mut self.counters.user, UserId::new)?;
        let user = User {
            id,
            email,
            created_at: now,
        };
        self.users_by_email.insert(key, id);
        self.users.insert(id, user.clone());
        Ok(user)
    }

    pub(crate) fn set_membership(
        &mut self,
        org_id: OrgId,
        user_id: UserId,
        role: Role,
    ) -> Result<Membership, RepoError> {
        self.require_org(org_id)?;
        if !self.users.contains_key(&user_id) {
            return Err(RepoError::InvalidReference(Reference::User(user_id.get())));
        }
        self.memberships.insert((org_id, user_id), role);
        Ok(Membership {
            org_id,
            user_id,
            role,
        })
    }

    pub(crate) fn create_api_key(
        &mut self,
        user_id: UserId,
        org_id: OrgId,
        key_hash: String,
        now: Timestamp,
    ) -> Result<ApiKey, RepoError> {
        if !self.memberships.contains_key(&(org_id, user_id)) {
            return Err(RepoError::InvalidReference(Reference::Membership));
        }
        if self.api_keys.contains_key(&key_hash) {
            return Err(RepoError::Duplicate("api key"));
        }
        let id = next_id(&mut self.counters.api_key, ApiKeyId::new)?;
        let key = ApiKey {
            id,
            user_id,
            org_id,
            created_at: now,
        };
        self.key_hashes.insert(id, key_hash.clone());
        self.api_keys.insert(
            key_hash,
            StoredKey {
                key: key.clone(),
                revoked_at: None,
            },
        );
        Ok(key)
    }

    pub(crate) fn authenticate(&self, key_hash: &str) -> Option<Principal> {
        let stored = self
            .api_keys
            .get(key_hash)
            .filter(|k| k.revoked_at.is_none())?;
        let key = &stored.key;
        let role = self.memberships.get(&(key.org_id, key.user_id))?;
        Some(Principal {
            api_key_id: key.id,
            user_id: key.user_id,
            org_id: key.org_id,
            role: *role,
        })
    }

    fn revoke_api_key(&mut self, id: ApiKeyId, now: Timestamp) -> Result<(), RepoError> {
        let stored = self
            .key_hashes
            .get(&id)
            .and_then(|hash| self.api_keys.get_mut(hash))
            .filter(|k| k.revoked_at.is_none())
            .ok_or(RepoError::NotFound)?;
        stored.revoked_at = Some(now);
        Ok(())
    }
}

#[async_trait]
impl TenancyRepository for MemoryStore {
    async fn create_org(&self, name: DisplayName, now: Timestamp) -> Result<Org, RepoError> {
        self.lock().create_org(name, now)
    }

    async fn create_user(&self, email: Email, now: Timestamp) -> Result<User, RepoError> {
        self.lock().create_user(email, now)
    }

    async fn set_membership(
        &self,
        org_id: OrgId,
        user_id: UserId,
        role: Role,
    ) -> Result<Membership, RepoError> {
        self.lock().set_membership(org_id, user_id, role)
    }

    async fn find_role(&self, org_id: OrgId, user_id: UserId) -> Result<Option<Role>, RepoError> {
        Ok(self.lock().memberships.get(&(org_id, user_id)).copied())
    }

    async fn create_api_key(
        &self,
        user_id: UserId,
        org_id: OrgId,
        key_hash: String,
        now: Timestamp,
    ) -> Result<ApiKey, RepoError> {
        self.lock().create_api_key(user_id, org_id, key_hash, now)
    }

    async fn authenticate(&self, key_hash: &str) -> Result<Option<Principal>, RepoError> {
        Ok(self.lock().authenticate(key_hash))
    }

    async fn revoke_api_key(&self, id: ApiKeyId, now: Timestamp) -> Result<(), RepoError> {
        self.lock().revoke_api_key(id, now)
    }

    async fn seed_tenant(
        &self,
        seed: TenantSeed,
        now: Timestamp,
    ) -> Result<SeededTenant, RepoError> {
        self.lock().seed_tenant(seed, now)
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        Ok(self.lock().find_user_by_email(email))
    }

    async fn user_memberships(&self, user_id: UserId) -> Result<Vec<Membership>, RepoError> {
        Ok(self.lock().user_memberships(user_id))
    }

    async fn list_orgs(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Org, ListCursor>, RepoError> {
        Ok(self.lock().list_orgs(page))
    }

    async fn list_users(
        &self,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<User, ListCursor>, RepoError> {
        Ok(self.lock().list_users(page))
    }

    async fn list_members(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Membership, ListCursor>, RepoError> {
        self.lock().list_members(org_id, page)
    }

    async fn list_api_keys(
        &self,
        filter: ApiKeyFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<ListedApiKey, ListCursor>, RepoError> {
        Ok(self.lock().list_api_keys(filter, page))
    }
}
