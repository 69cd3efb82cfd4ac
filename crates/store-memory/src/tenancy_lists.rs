//! The operator's lists (orgs, users, members, API keys) and the seeding
//! of a whole tenant at once.
//!
//! Orgs, users and keys have no ordered index here: a page scans them
//! (cost grows with their number, not with the page's depth). That suits
//! the embedded store, whose operator lists are short; the Postgres store
//! reads them by index.

use thunderphone_domain::{Email, Membership, Org, OrgId, Timestamp, User, UserId};
use thunderphone_ports::{
    ApiKeyFilter, ListCursor, ListedApiKey, Page, PageRequest, Reference, RepoError, SeededTenant,
    TenantSeed,
};

use crate::state::{State, cursor};

/// One page of `items`, newest first, strictly after the request's cursor.
fn newest_first<T>(
    items: impl Iterator<Item = T>,
    page: PageRequest<ListCursor>,
    cursor_of: impl Fn(&T) -> ListCursor,
) -> Page<T, ListCursor> {
    let mut items: Vec<T> = items
        .filter(|item| page.after.is_none_or(|after| cursor_of(item) < after))
        .collect();
    items.sort_unstable_by_key(|item| std::cmp::Reverse(cursor_of(item)));
    items.truncate(page.limit.get().saturating_add(1));
    Page::from_overfetch(items, page.limit, cursor_of)
}

impl State {
    /// Checks everything that could refuse `seed` before anything is
    /// written, so a refused seed leaves nothing behind.
    fn check_seed(&self, seed: &TenantSeed) -> Result<(), RepoError> {
        if self
            .users_by_email
            .contains_key(&seed.email.as_str().to_lowercase())
        {
            return Err(RepoError::Duplicate("email"));
        }
        let in_range = |index: usize| index < seed.orgs.len();
        let key_org_has_role = seed.roles.iter().any(|(org, _)| *org == seed.key_org);
        if !seed.roles.iter().all(|(org, _)| in_range(*org))
            || !seed.agents.iter().all(|(org, _)| in_range(*org))
            || !key_org_has_role
        {
            return Err(RepoError::InvalidReference(Reference::Membership));
        }
        if self.api_keys.contains_key(&seed.key_hash) {
            return Err(RepoError::Duplicate("api key"));
        }
        Ok(())
    }

    pub(crate) fn seed_tenant(
        &mut self,
        seed: TenantSeed,
        now: Timestamp,
    ) -> Result<SeededTenant, RepoError> {
        self.check_seed(&seed)?;
        let mut orgs = Vec::with_capacity(seed.orgs.len());
        for name in seed.orgs {
            orgs.push(self.create_org(name, now)?);
        }
        let org_id = |index: usize| {
            orgs.get(index)
                .map(|org: &Org| org.id)
                .ok_or(RepoError::InvalidReference(Reference::Membership))
        };
        let user = self.create_user(seed.email, now)?;
        for (org, role) in seed.roles {
            self.set_membership(org_id(org)?, user.id, role)?;
        }
        let mut agents = Vec::with_capacity(seed.agents.len());
        for (org, name) in seed.agents {
            agents.push(self.create_agent(org_id(org)?, name, now)?);
        }
        let key = self.create_api_key(user.id, org_id(seed.key_org)?, seed.key_hash, now)?;
        Ok(SeededTenant {
            orgs,
            user,
            agents,
            key,
        })
    }

    pub(crate) fn find_user_by_email(&self, email: &Email) -> Option<User> {
        let id = self.users_by_email.get(&email.as_str().to_lowercase())?;
        self.users.get(id).cloned()
    }

    pub(crate) fn user_memberships(&self, user_id: UserId) -> Vec<Membership> {
        let mut found: Vec<Membership> = self
            .memberships
            .iter()
            .filter(|((_, user), _)| *user == user_id)
            .map(|((org_id, user_id), role)| Membership {
                org_id: *org_id,
                user_id: *user_id,
                role: *role,
            })
            .collect();
        found.sort_unstable_by_key(|m| m.org_id);
        found
    }

    pub(crate) fn list_orgs(&self, page: PageRequest<ListCursor>) -> Page<Org, ListCursor> {
        newest_first(self.orgs.values().cloned(), page, |o| {
            cursor(o.created_at, o.id.get())
        })
    }

    pub(crate) fn list_users(&self, page: PageRequest<ListCursor>) -> Page<User, ListCursor> {
        newest_first(self.users.values().cloned(), page, |u| {
            cursor(u.created_at, u.id.get())
        })
    }

    pub(crate) fn list_members(
        &self,
        org_id: OrgId,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Membership, ListCursor>, RepoError> {
        if !self.orgs.contains_key(&org_id) {
            return Err(RepoError::NotFound);
        }
        let members = self
            .memberships
            .iter()
            .filter(|((org, _), _)| *org == org_id)
            .filter_map(|((_, user_id), role)| {
                let user = self.users.get(user_id)?;
                Some((
                    cursor(user.created_at, user.id.get()),
                    Membership {
                        org_id,
                        user_id: *user_id,
                        role: *role,
                    },
                ))
            });
        let page = newest_first(members, page, |(c, _)| *c);
        Ok(Page {
            items: page.items.into_iter().map(|(_, m)| m).collect(),
            next: page.next,
        })
    }

    pub(crate) fn list_api_keys(
        &self,
        filter: ApiKeyFilter,
        page: PageRequest<ListCursor>,
    ) -> Page<ListedApiKey, ListCursor> {
        let keys = self
            .api_keys
            .values()
            .filter(|stored| {
                filter.org_id.is_none_or(|o| stored.key.org_id == o)
                    && filter.user_id.is_none_or(|u| stored.key.user_id == u)
            })
            .map(|stored| ListedApiKey {
                key: stored.key.clone(),
                revoked_at: stored.revoked_at,
            });
        newest_first(keys, page, |k| cursor(k.key.created_at, k.key.id.get()))
    }
}
