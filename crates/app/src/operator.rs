//! The operator API (API.md §13) and authentication of API keys.

use thunderphone_domain::{
    ApiKey, ApiKeyId, DisplayName, Email, Membership, Org, OrgId, Principal, Role, User, UserId,
};

use crate::api_keys::{generate, hash_api_key, lookup_hash};
use crate::error::StoreResult;
use crate::{App, AppError};

/// A newly created API key: the only time the secret is available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedApiKey {
    /// The stored record.
    pub record: ApiKey,
    /// The key itself; show it once, never store or log it.
    pub key: String,
}

impl App {
    /// The caller behind a bearer token.
    ///
    /// # Errors
    /// `Unauthorized` for malformed, unknown and revoked keys, and keys whose
    /// user is no longer a member of the key's org.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, AppError> {
        self.ports
            .tenancy
            .authenticate(&lookup_hash(bearer)?)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::Unauthorized)
    }

    /// Creates an org.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn create_org(&self, name: DisplayName) -> Result<Org, AppError> {
        self.ports
            .tenancy
            .create_org(name, self.ports.clock.now())
            .await
            .map_err(AppError::store)
    }

    /// Creates a user.
    ///
    /// # Errors
    /// `Validation` when the e-mail is registered already.
    pub async fn create_user(&self, email: Email) -> Result<User, AppError> {
        self.ports
            .tenancy
            .create_user(email, self.ports.clock.now())
            .await
            .map_err(AppError::store)
    }

    /// Sets a user's role in an org.
    ///
    /// # Errors
    /// `NotFound` when the org or the user does not exist.
    pub async fn set_membership(
        &self,
        org_id: OrgId,
        user_id: UserId,
        role: Role,
    ) -> Result<Membership, AppError> {
        match self
            .ports
            .tenancy
            .set_membership(org_id, user_id, role)
            .await
        {
            Err(thunderphone_ports::RepoError::InvalidReference(
                thunderphone_ports::Reference::Org(_),
            )) => Err(AppError::NotFound("org")),
            Err(thunderphone_ports::RepoError::InvalidReference(
                thunderphone_ports::Reference::User(_),
            )) => Err(AppError::NotFound("user")),
            other => other.map_err(AppError::store),
        }
    }

    /// Issues an API key for a member of an org.
    ///
    /// # Errors
    /// `Validation` when the user is not a member of the org.
    pub async fn create_api_key(
        &self,
        user_id: UserId,
        org_id: OrgId,
    ) -> Result<IssuedApiKey, AppError> {
        let key = generate()?;
        let record = self
            .ports
            .tenancy
            .create_api_key(user_id, org_id, hash_api_key(&key), self.ports.clock.now())
            .await
            .map_err(AppError::store)?;
        Ok(IssuedApiKey { record, key })
    }

    /// Revokes a key; the next request with it is refused.
    ///
    /// # Errors
    /// `NotFound` when unknown or already revoked.
    pub async fn revoke_api_key(&self, id: ApiKeyId) -> Result<(), AppError> {
        self.ports
            .tenancy
            .revoke_api_key(id, self.ports.clock.now())
            .await
            .not_found_as("API key")
    }
}
