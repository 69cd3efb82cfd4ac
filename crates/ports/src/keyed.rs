//! The fast read path: the hottest requests authenticate their API key and
//! read in one store call, so they cost one database round trip, not two.
//! A port of its own, so that the repositories stay about what they hold.

use async_trait::async_trait;
use thunderphone_domain::{PhoneNumber, PhoneNumberId, Principal};

use crate::{ListCursor, NumberFilter, Page, PageRequest, RepoError};

/// What a store read in the name of an API key: the key's principal and
/// the value read for its org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated<T> {
    /// Who the key belongs to.
    pub principal: Principal,
    /// What was read, scoped to `principal.org_id`.
    pub value: T,
}

/// Reads in the name of an API key. Each call authenticates the key
/// exactly as [`crate::TenancyRepository::authenticate`] does, on every
/// call (a revoked key fails at once), and reads exactly what the
/// org-scoped read of [`crate::NumberRepository`] returns for the key's
/// org.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait KeyedReads: Send + Sync {
    /// Number `id` of the key's org: `GET /v1/phone-numbers/{id}`.
    ///
    /// Returns `Ok(None)` when the key is unknown or revoked, and
    /// `Ok(Some)` with `value: None` when the org has no such number.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn find_number_for_key(
        &self,
        key_hash: &str,
        id: PhoneNumberId,
    ) -> Result<Option<Authenticated<Option<PhoneNumber>>>, RepoError>;

    /// [`crate::NumberRepository::list_numbers`] for the key's org.
    /// `Ok(None)` when the key is unknown or revoked.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] only.
    async fn list_numbers_for_key(
        &self,
        key_hash: &str,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Option<Authenticated<Page<PhoneNumber, ListCursor>>>, RepoError>;
}
