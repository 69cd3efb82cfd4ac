//! Phone numbers, their version history and the demo pool.

mod change;
mod create;
mod read;

pub(crate) use change::write_change;

use async_trait::async_trait;
use thunderphone_domain::{
    Actor, AreaCode, E164, NewPhoneNumber, OrgId, PhoneNumber, PhoneNumberId, Timestamp, Version,
    VersionSnapshot,
};
use thunderphone_ports::{
    ListCursor, NumberChange, NumberFilter, NumberRepository, Page, PageRequest, RepoError,
};

use crate::PgStore;

impl PgStore {
    /// Both claims: the first free of `candidates`.
    async fn claim(
        &self,
        org_id: OrgId,
        candidates: Vec<E164>,
        now: Timestamp,
        actor: Option<Actor>,
        op: &'static str,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        let claimed = self
            .run(op, move |conn| {
                create::claim(conn, org_id, &candidates, now, actor)
            })
            .await;
        // The port allows only these two errors.
        claimed.map_err(|e| match e {
            RepoError::Unavailable(_) | RepoError::Unexpected(_) => e,
            other => RepoError::Unexpected(other.to_string()),
        })
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
        let candidates: Vec<E164> = area_codes
            .iter()
            .flat_map(|code| code.demo_pool_numbers())
            .collect();
        self.claim(org_id, candidates, now, actor, "claim_pool_number")
            .await
    }

    async fn claim_first_free(
        &self,
        org_id: OrgId,
        candidates: &[E164],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        self.claim(org_id, candidates.to_vec(), now, actor, "claim_first_free")
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
    ) -> Result<PhoneNumber, RepoError> {
        self.run("delete_number", move |conn| {
            change::delete(conn, org_id, id, expected)
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
