//! Phone numbers, their history and the demo pool.

use std::collections::HashSet;

use async_trait::async_trait;
use thunderphone_domain::{
    Actor, AreaCode, ChangeKind, E164, Event, NewPhoneNumber, OrgId, PhoneNumber, PhoneNumberId,
    Timestamp, Updated, Version, VersionSnapshot,
};
use thunderphone_ports::{
    Authenticated, CheckOutcome, KeyedReads, ListCursor, NumberChange, NumberFilter,
    NumberRepository, Page, PageRequest, Reference, RepoError,
};

use crate::MemoryStore;
use crate::state::{State, StoredNumber, cursor, index_insert, index_remove, keyset_page, next_id};
use thunderphone_ports::new_event_id;

impl State {
    /// Creates a number at version 1 with its `created` snapshot. The
    /// caller has checked that the number is free and its references.
    fn create_number(
        &mut self,
        new: NewPhoneNumber,
        actor: Option<Actor>,
    ) -> Result<PhoneNumber, RepoError> {
        let id = next_id(&mut self.counters.number, PhoneNumberId::new)?;
        let number = new.into_created(id);
        let snapshot = number.snapshot(ChangeKind::Created, actor);
        self.record_event(Event::created(
            &number,
            actor,
            new_event_id(number.created_at()),
        ))?;
        self.held.insert(number.number().clone(), id);
        index_insert(
            &mut self.numbers_by_org,
            number.org_id(),
            number.created_at(),
            id.get(),
        );
        self.numbers.insert(
            id,
            StoredNumber {
                number: number.clone(),
                deleted: false,
                versions: vec![snapshot],
            },
        );
        Ok(number)
    }

    /// The agents, connection and org a number refers to must exist, the
    /// agents and connection in the number's org.
    fn check_references(&self, number: &PhoneNumber) -> Result<(), RepoError> {
        let org_id = number.org_id();
        self.require_org(org_id)?;
        let agent_in_org = |id| self.agents.get(&id).is_some_and(|a| a.org_id == org_id);
        if let Some(id) = number.inbound_agent_id().filter(|id| !agent_in_org(*id)) {
            return Err(RepoError::InvalidReference(Reference::InboundAgent(
                id.get(),
            )));
        }
        if let Some(id) = number.outbound_agent_id().filter(|id| !agent_in_org(*id)) {
            return Err(RepoError::InvalidReference(Reference::OutboundAgent(
                id.get(),
            )));
        }
        if let Some(id) = number.voip_connection_id() {
            let in_org = self
                .connections
                .get(&id)
                .is_some_and(|c| c.connection.org_id == org_id);
            if !in_org {
                return Err(RepoError::InvalidReference(Reference::VoipConnection(
                    id.get(),
                )));
            }
        }
        Ok(())
    }

    /// Stores a checked change of a live number, appends its snapshot and
    /// records its events; moves the number between org indexes when its
    /// org changed.
    pub(crate) fn apply_change(
        &mut self,
        updated: Updated,
        actor: Option<Actor>,
        checks: Vec<CheckOutcome>,
    ) -> Result<PhoneNumber, RepoError> {
        let number = updated.number;
        let snapshot = number.snapshot(updated.change, actor);
        let previous_org = self
            .numbers
            .get(&number.id())
            .map_or(number.org_id(), |stored| stored.number.org_id());
        self.record_change_events(previous_org, &number, updated.change, actor, checks)?;
        if let Some(stored) = self.numbers.get_mut(&number.id()) {
            let old_org = stored.number.org_id();
            if old_org != number.org_id() {
                let key = (number.created_at(), number.id().get());
                index_remove(&mut self.numbers_by_org, old_org, key.0, key.1);
                index_insert(&mut self.numbers_by_org, number.org_id(), key.0, key.1);
            }
            stored.number = number.clone();
            stored.versions.push(snapshot);
        }
        self.settle_job(&number, false);
        Ok(number)
    }

    fn claim_pool_number(
        &mut self,
        org_id: OrgId,
        area_codes: &[AreaCode],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        let free = area_codes
            .iter()
            .flat_map(|code| code.demo_pool_numbers())
            .find(|number| !self.held.contains_key(number));
        self.claim_free(org_id, free, now, actor)
    }

    /// Creates `free` (if any) as a provisioning demo number with its job.
    /// An unknown org is reported whether or not a number was free.
    fn claim_free(
        &mut self,
        org_id: OrgId,
        free: Option<E164>,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        // The port allows no other error: an unknown org is a caller bug.
        if !self.orgs.contains_key(&org_id) {
            return Err(RepoError::unexpected(format!(
                "org {org_id} does not exist"
            )));
        }
        let Some(free) = free else { return Ok(None) };
        let number = self.create_number(NewPhoneNumber::demo(org_id, free, now), actor)?;
        self.start_job(&number);
        Ok(Some(number))
    }

    fn claim_first_free(
        &mut self,
        org_id: OrgId,
        candidates: &[E164],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        let free = candidates
            .iter()
            .find(|n| !self.held.contains_key(*n))
            .cloned();
        self.claim_free(org_id, free, now, actor)
    }

    fn insert_numbers(
        &mut self,
        numbers: Vec<NewPhoneNumber>,
        actor: Option<Actor>,
    ) -> Result<Vec<PhoneNumber>, RepoError> {
        for new in &numbers {
            self.require_org(new.org_id())?;
            if let Some(id) = new.voip_connection_id() {
                let in_org = self
                    .connections
                    .get(&id)
                    .is_some_and(|c| c.connection.org_id == new.org_id());
                if !in_org {
                    return Err(RepoError::InvalidReference(Reference::VoipConnection(
                        id.get(),
                    )));
                }
            }
        }
        // A number repeated within the batch is taken by its first copy.
        let mut seen = HashSet::new();
        let mut taken = Vec::new();
        for new in &numbers {
            let number = new.number();
            if (self.held.contains_key(number) || !seen.insert(number)) && !taken.contains(number) {
                taken.push(number.clone());
            }
        }
        if !taken.is_empty() {
            return Err(RepoError::NumbersTaken(taken));
        }
        numbers
            .into_iter()
            .map(|new| self.create_number(new, actor))
            .collect()
    }

    fn list_numbers(
        &self,
        org_id: OrgId,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Page<PhoneNumber, ListCursor> {
        keyset_page(
            self.numbers_by_org.get(&org_id),
            page,
            |id| {
                let stored = self.org_number(org_id, PhoneNumberId::new(id).ok()?)?;
                filter
                    .matches(&stored.number)
                    .then(|| stored.number.clone())
            },
            |n| cursor(n.created_at(), n.id().get()),
        )
    }

    fn save_change(&mut self, change: NumberChange) -> Result<PhoneNumber, RepoError> {
        let NumberChange {
            expected,
            updated,
            actor,
            checks,
        } = change;
        let stored = self
            .live_number(updated.number.id())
            .ok_or(RepoError::NotFound)?;
        let current = stored.number.version();
        if current != expected {
            return Err(RepoError::VersionConflict { current });
        }
        let (old, new) = (&stored.number, &updated.number);
        if new.version() != expected.next()
            || new.number() != old.number()
            || new.source() != old.source()
            || new.created_at() != old.created_at()
        {
            return Err(RepoError::unexpected(format!(
                "change of number {} is not a successor of version {expected}",
                old.id()
            )));
        }
        self.check_references(new)?;
        self.apply_change(updated, actor, checks)
    }

    fn delete_number(
        &mut self,
        org_id: OrgId,
        id: PhoneNumberId,
        expected: Option<Version>,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<PhoneNumber, RepoError> {
        let stored = self
            .numbers
            .get_mut(&id)
            .filter(|s| !s.deleted && s.number.org_id() == org_id)
            .ok_or(RepoError::NotFound)?;
        let current = stored.number.version();
        if expected.is_some_and(|expected| expected != current) {
            return Err(RepoError::VersionConflict { current });
        }
        stored.deleted = true;
        let number = stored.number.clone();
        self.record_event(Event::deleted(&number, actor, now, new_event_id(now)))?;
        self.held.remove(number.number());
        self.settle_job(&number, true);
        index_remove(
            &mut self.numbers_by_org,
            org_id,
            number.created_at(),
            id.get(),
        );
        Ok(number)
    }

    fn list_versions(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        page: PageRequest<Version>,
    ) -> Result<Page<VersionSnapshot, Version>, RepoError> {
        let stored = self.org_number(org_id, id).ok_or(RepoError::NotFound)?;
        let versions = &stored.versions;
        let end = page.after.map_or(versions.len(), |after| {
            versions.partition_point(|s| s.version < after)
        });
        let items = versions[..end]
            .iter()
            .rev()
            .filter(|s| s.org_id == org_id)
            .take(page.limit.get().saturating_add(1))
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |s| s.version))
    }
}

#[async_trait]
impl NumberRepository for MemoryStore {
    async fn claim_pool_number(
        &self,
        org_id: OrgId,
        area_codes: &[AreaCode],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        self.lock()
            .claim_pool_number(org_id, area_codes, now, actor)
    }

    async fn claim_first_free(
        &self,
        org_id: OrgId,
        candidates: &[E164],
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        self.lock().claim_first_free(org_id, candidates, now, actor)
    }

    async fn insert_numbers(
        &self,
        numbers: Vec<NewPhoneNumber>,
        actor: Option<Actor>,
    ) -> Result<Vec<PhoneNumber>, RepoError> {
        self.lock().insert_numbers(numbers, actor)
    }

    async fn find_number(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        Ok(self.lock().org_number(org_id, id).map(|s| s.number.clone()))
    }

    async fn find_number_unscoped(
        &self,
        id: PhoneNumberId,
    ) -> Result<Option<PhoneNumber>, RepoError> {
        Ok(self.lock().live_number(id).map(|s| s.number.clone()))
    }

    async fn list_numbers(
        &self,
        org_id: OrgId,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<PhoneNumber, ListCursor>, RepoError> {
        Ok(self.lock().list_numbers(org_id, filter, page))
    }

    async fn save_change(&self, change: NumberChange) -> Result<PhoneNumber, RepoError> {
        self.lock().save_change(change)
    }

    async fn delete_number(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        expected: Option<Version>,
        now: Timestamp,
        actor: Option<Actor>,
    ) -> Result<PhoneNumber, RepoError> {
        self.lock().delete_number(org_id, id, expected, now, actor)
    }

    async fn list_versions(
        &self,
        org_id: OrgId,
        id: PhoneNumberId,
        page: PageRequest<Version>,
    ) -> Result<Page<VersionSnapshot, Version>, RepoError> {
        self.lock().list_versions(org_id, id, page)
    }
}

/// The keyed reads take the lock once for the key and the read, so they
/// see one state, as the Postgres store's single statement does.
#[async_trait]
impl KeyedReads for MemoryStore {
    async fn find_number_for_key(
        &self,
        key_hash: &str,
        id: PhoneNumberId,
    ) -> Result<Option<Authenticated<Option<PhoneNumber>>>, RepoError> {
        let state = self.lock();
        Ok(state.authenticate(key_hash).map(|principal| Authenticated {
            principal,
            value: state
                .org_number(principal.org_id, id)
                .map(|s| s.number.clone()),
        }))
    }

    async fn list_numbers_for_key(
        &self,
        key_hash: &str,
        filter: &NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Option<Authenticated<Page<PhoneNumber, ListCursor>>>, RepoError> {
        let state = self.lock();
        Ok(state.authenticate(key_hash).map(|principal| Authenticated {
            principal,
            value: state.list_numbers(principal.org_id, filter, page),
        }))
    }
}
