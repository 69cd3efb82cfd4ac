//! Phone numbers, their version history and the demo pool.

mod change;
mod claim;
mod create;
mod first_free;
mod pool;
mod read;

pub(crate) use change::write_change;
pub(crate) use pool::SeededCodes;
pub(crate) use read::{KeyedFind, KeyedRead, find_for_keys};

use async_trait::async_trait;
use diesel::PgConnection;
use thunderphone_domain::{
    Actor, AreaCode, E164, NewPhoneNumber, OrgId, PhoneNumber, PhoneNumberId, Timestamp, Version,
    VersionSnapshot,
};
use thunderphone_ports::{
    Authenticated, KeyedReads, ListCursor, NumberChange, NumberFilter, NumberRepository, Page,
    PageRequest, RepoError, Unexpected,
};

use crate::PgStore;
use crate::error::Failure;
use crate::tenancy::require_org;

impl PgStore {
    /// Runs a claim; an org that does not exist is reported (as
    /// `Unexpected`: a caller bug) whether or not a number was free.
    async fn claim<F>(
        &self,
        op: &'static str,
        org_id: OrgId,
        work: F,
    ) -> Result<Option<PhoneNumber>, RepoError>
    where
        F: FnOnce(&mut PgConnection) -> Result<Option<PhoneNumber>, Failure> + Send + 'static,
    {
        let claimed = self
            .run(op, move |conn| match work(conn) {
                Ok(None) => match require_org(conn, org_id) {
                    Err(Failure::Repo(RepoError::InvalidReference(_))) => Err(unknown_org(org_id)),
                    other => other.map(|()| None),
                },
                Ok(claimed) => Ok(claimed),
                // An unknown org surfaces as the number's foreign key.
                Err(failure) if failure.foreign_key_violation() == Some(ORG_KEY) => {
                    Err(unknown_org(org_id))
                }
                Err(failure) => Err(failure),
            })
            .await;
        claimed.map_err(claim_error)
    }

    /// Creates the pool rows of the area codes this process has not used
    /// yet; one caller at a time, so a burst of first claims seeds once.
    async fn seed_pool(&self, area_codes: &[AreaCode]) -> Result<(), RepoError> {
        if self.seeded.missing(area_codes).is_empty() {
            return Ok(());
        }
        let _seeding = self.seeding.lock().await;
        let missing = self.seeded.missing(area_codes);
        if missing.is_empty() {
            return Ok(());
        }
        let codes = missing.clone();
        self.run("seed_demo_pool", move |conn| pool::seed(conn, &codes))
            .await
            .map_err(claim_error)?;
        self.seeded.mark(&missing);
        Ok(())
    }

    /// Creates the demo-pool rows of `area_codes` now (those this process
    /// has not seen yet), so that claims do not have to: a claim with no
    /// preference starts at any area code, and would otherwise seed the
    /// codes it meets, a few at a time, while other claims wait. The server
    /// calls this once in the background at start with every area code.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Unexpected`] (for
    /// instance when the schema is not migrated yet).
    pub async fn prepare_pool(&self, area_codes: &[AreaCode]) -> Result<(), RepoError> {
        self.seed_pool(area_codes).await
    }

    /// The length of a prefix of `area_codes` longer than `tried` whose
    /// rows all exist: the seeded prefix if it is longer already, else
    /// `SEED_STEP` more codes (or twice `tried`) seeded now. A claim only
    /// looks at a seeded prefix, so the "any" tier (hundreds of area codes)
    /// seeds a few at a time, as they fill up, not all on first use.
    async fn seeded_prefix(
        &self,
        area_codes: &[AreaCode],
        tried: usize,
    ) -> Result<usize, RepoError> {
        let known = self.seeded.prefix(area_codes);
        if known > tried {
            return Ok(known);
        }
        let wanted = tried
            .saturating_mul(2)
            .max(tried.saturating_add(SEED_STEP))
            .min(area_codes.len());
        self.seed_pool(&area_codes[..wanted]).await?;
        Ok(self.seeded.prefix(area_codes).max(wanted))
    }
}

/// Area codes seeded at a time when a claim needs more of its list.
const SEED_STEP: usize = 8;

/// The foreign key from a number to its org.
const ORG_KEY: &str = "phone_numbers_org_id_fkey";

/// The claims may only answer `Unexpected` for an unknown org (a caller
/// bug).
fn unknown_org(org_id: OrgId) -> Failure {
    RepoError::unexpected(format!("org {org_id} does not exist")).into()
}

/// The claims may only fail with `Unavailable` or `Unexpected`.
fn claim_error(error: RepoError) -> RepoError {
    match error {
        RepoError::Unavailable(_) | RepoError::Unexpected(_) => error,
        other => Unexpected::new(other).into(),
    }
}

#[async_trait]
impl NumberRepository for PgStore {
    async fn claim_pool_number(
        &self,
        org_id: OrgId,
        area_codes: &[AreaCode],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        if area_codes.is_empty() {
            return Ok(None);
        }
        // The lowest free line in the first seeded area codes; more of
        // the list is seeded only when those are full.
        let mut tried = 0;
        loop {
            tried = self.seeded_prefix(area_codes, tried).await?;
            let codes = area_codes[..tried].to_vec();
            let claimed = self
                .claim("claim_pool_number", org_id, move |conn| {
                    claim::claim(conn, org_id, &codes, now, actor)
                })
                .await?;
            if claimed.is_some() || tried >= area_codes.len() {
                return Ok(claimed);
            }
        }
    }

    async fn claim_first_free(
        &self,
        org_id: OrgId,
        candidates: &[E164],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        if candidates.is_empty() {
            return Ok(None);
        }
        let candidates = candidates.to_vec();
        self.claim("claim_first_free", org_id, move |conn| {
            first_free::claim(conn, org_id, &candidates, now, actor)
        })
        .await
    }

    async fn insert_numbers(
        &self,
        numbers: Vec<NewPhoneNumber>,
        actor: Option<Actor>,
    ) -> Result<Vec<PhoneNumber>, RepoError> {
        self.run("insert_numbers", move |conn| {
            create::insert(conn, &numbers, actor)
        })
        .await
    }

    async fn find_number(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        self.run("find_number", move |conn| {
            read::find(conn, Some(org_id), id)
        })
        .await
    }

    async fn find_number_unscoped(
        &self,
        id: PhoneNumberId,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        self.run("find_number_unscoped", move |conn| {
            read::find(conn, None, id)
        })
        .await
    }

    async fn list_numbers(
        &self,
        org_id: OrgId,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<PhoneNumber, ListCursor>, RepoError> {
        let filter = filter.clone();
        self.run("list_numbers", move |conn| {
            read::list(conn, org_id, &filter, page)
        })
        .await
    }

    async fn save_change(&self, change: NumberChange) -> Result<PhoneNumber, RepoError> {
        self.run("save_change", move |conn| change::save(conn, change))
            .await
    }

    async fn delete_number(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        expected: Option<Version>,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<PhoneNumber, RepoError> {
        self.run("delete_number", move |conn| {
            change::delete(conn, org_id, id, expected, now, actor)
        })
        .await
    }

    async fn list_versions(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        page: PageRequest<Version>,
    ) -> Result<Page<VersionSnapshot, Version>, RepoError> {
        self.run("list_versions", move |conn| {
            read::versions(conn, org_id, id, page)
        })
        .await
    }
}

/// A keyed find joins the reads that arrive together into one statement
/// (`keyed_reads`); a keyed list authenticates and reads on one connection.
#[async_trait]
impl KeyedReads for PgStore {
    async fn find_number_for_key(
        &self,
        key_hash: &str,
        id: PhoneNumberId,
    ) -> Result<Option<Authenticated<Option<PhoneNumber>>>, RepoError> {
        let key_hash = key_hash.to_owned();
        let call = self.keyed_reads.call(KeyedRead { key_hash, id });
        self.bounded("find_number_for_key", self.call_bound, call)
            .await?
    }

    async fn list_numbers_for_key(
        &self,
        key_hash: &str,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Option<Authenticated<Page<PhoneNumber, ListCursor>>>, RepoError> {
        let key_hash = key_hash.to_owned();
        let filter = filter.clone();
        self.run("list_numbers_for_key", move |conn| {
            read::list_for_key(conn, &key_hash, &filter, page)
        })
        .await
    }
}
