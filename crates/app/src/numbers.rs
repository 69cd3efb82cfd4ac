//! Reading and changing numbers: get, list, PUT/PATCH, DELETE, versions.

use thunderphone_domain::{
    AgentUpdate, PhoneNumber, PhoneNumberId, Principal, Status, Timestamp, Updated, Version,
    VersionSnapshot,
};
use thunderphone_ports::{
    Authenticated, CheckOutcome, ListCursor, NumberChange, NumberFilter, Page, PageRequest,
    Reference, RepoError,
};

use crate::api_keys::lookup_hash;
use crate::error::{StoreResult, reference_error};
use crate::{App, AppError, IfMatch};

/// How often a read-modify-write is retried when another writer got in
/// first and the client did not ask for a specific version. Every round
/// lets at least one concurrent writer through, so this many writers racing
/// on one number all land; more at once get a 503 and may retry.
pub const MAX_WRITE_RETRIES: usize = 32;

/// PUT replaces both agent fields; PATCH changes only the fields sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberUpdateMode {
    /// `PUT`.
    Replace,
    /// `PATCH`.
    Merge,
}

/// A PUT/PATCH body, already validated for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberUpdate {
    /// Agent fields: `None` = absent (unchanged), `Some(None)` = clear.
    pub agents: AgentUpdate,
    /// Requested status.
    pub status: Option<Status>,
}

const NUMBER: &str = "phone number";

/// What a number write needs besides the transition.
pub(crate) struct Write {
    /// The error of a referenced record the write finds missing, on the
    /// request's field that named it.
    pub(crate) missing_reference: fn(Reference) -> AppError,
    /// A verification's checks, recorded with the change's event.
    pub(crate) checks: Vec<CheckOutcome>,
}

impl Default for Write {
    fn default() -> Self {
        Self {
            missing_reference: reference_error,
            checks: Vec::new(),
        }
    }
}

impl App {
    /// `GET /v1/phone-numbers/{id}`: a number of the caller's org.
    ///
    /// # Errors
    /// `NotFound` for unknown, deleted and other orgs' numbers alike.
    pub async fn get_number(
        &self,
        caller: &Principal,
        id: PhoneNumberId,
    ) -> Result<PhoneNumber, AppError> {
        self.ports
            .numbers
            .find_number(caller.org_id, id)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::NotFound(NUMBER))
    }

    /// [`App::get_number`] for a bearer API key, authenticated in the same
    /// store call as the read (one round trip instead of two; the key is
    /// still checked on every request). The outer error is the
    /// authentication's; the read's outcome is returned with the caller,
    /// so that the caller's limits can be applied before it is answered.
    ///
    /// # Errors
    /// `Unauthorized` for a malformed, unknown or revoked key; store errors.
    pub async fn get_number_for_key(
        &self,
        bearer: &str,
        id: PhoneNumberId,
    ) -> Result<Authenticated<Result<PhoneNumber, AppError>>, AppError> {
        let read = self
            .ports
            .keyed
            .find_number_for_key(&lookup_hash(bearer)?, id)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::Unauthorized)?;
        Ok(Authenticated {
            principal: read.principal,
            value: read.value.ok_or(AppError::NotFound(NUMBER)),
        })
    }

    /// [`App::list_numbers`] for a bearer API key, authenticated in the
    /// same store call (see [`App::get_number_for_key`]).
    ///
    /// # Errors
    /// `Unauthorized` for a malformed, unknown or revoked key; store errors.
    pub async fn list_numbers_for_key(
        &self,
        bearer: &str,
        filter: NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Authenticated<Page<PhoneNumber, ListCursor>>, AppError> {
        self.ports
            .keyed
            .list_numbers_for_key(&lookup_hash(bearer)?, &filter, page)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::Unauthorized)
    }

    /// `GET /v1/phone-numbers`: one page, newest first.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn list_numbers(
        &self,
        caller: &Principal,
        filter: NumberFilter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<PhoneNumber, ListCursor>, AppError> {
        self.ports
            .numbers
            .list_numbers(caller.org_id, &filter, page)
            .await
            .map_err(AppError::store)
    }

    /// `PUT`/`PATCH /v1/phone-numbers/{id}`. A request that changes nothing
    /// records no version and returns the number as it is.
    ///
    /// # Errors
    /// `NotFound`; `PreconditionFailed` for a stale `If-Match`;
    /// `InvalidStatusTransition`; `InvalidAgent` for an agent that is not in
    /// the caller's org.
    pub async fn update_number(
        &self,
        caller: &Principal,
        id: PhoneNumberId,
        update: NumberUpdate,
        if_match: Option<IfMatch>,
    ) -> Result<PhoneNumber, AppError> {
        // Existence first: an unknown (or another org's) number is a 404
        // whatever the body says.
        let number = self.get_number(caller, id).await?;
        self.check_agents(caller, &update.agents).await?;
        self.modify_from(
            caller,
            Some(number),
            id,
            if_match.as_ref(),
            Write::default(),
            |number, now| Ok(number.update(update.agents, update.status, now)?),
        )
        .await
    }

    /// The agents must exist in the caller's org (checked again atomically by
    /// the store when the change is written).
    async fn check_agents(&self, caller: &Principal, agents: &AgentUpdate) -> Result<(), AppError> {
        let mut errors = Vec::new();
        for (field, agent) in [
            ("inbound_agent_id", agents.inbound),
            ("outbound_agent_id", agents.outbound),
        ] {
            if let Some(Some(agent)) = agent
                && self
                    .ports
                    .agents
                    .find_agent(caller.org_id, agent)
                    .await
                    .map_err(AppError::store)?
                    .is_none()
            {
                errors.push(crate::FieldError::new(
                    field,
                    format!("agent {agent} does not exist in this org"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidAgent(errors))
        }
    }

    /// Read, apply a domain transition, write conditionally; on a lost race
    /// re-read and retry unless the client pinned a version with `If-Match`.
    /// Starts from `first_read` when the caller has just read the number
    /// (to save a round trip); `write` says how to report a missing
    /// referenced record and what the change's event carries.
    pub(crate) async fn modify_from(
        &self,
        caller: &Principal,
        mut first_read: Option<PhoneNumber>,
        id: PhoneNumberId,
        if_match: Option<&IfMatch>,
        write: Write,
        transition: impl Fn(&PhoneNumber, Timestamp) -> Result<Option<Updated>, AppError>,
    ) -> Result<PhoneNumber, AppError> {
        for _ in 0..MAX_WRITE_RETRIES {
            let number = match first_read.take() {
                Some(number) => number,
                None => self.get_number(caller, id).await?,
            };
            IfMatch::check(if_match, number.version())?;
            let Some(updated) = transition(&number, self.ports.clock.now())? else {
                return Ok(number);
            };
            let change = NumberChange {
                expected: number.version(),
                updated,
                actor: Some(caller.actor()),
                checks: write.checks.clone(),
            };
            match self.ports.numbers.save_change(change).await {
                Ok(saved) => return Ok(saved),
                Err(RepoError::VersionConflict { current }) => {
                    if if_match.is_some_and(|m| *m != IfMatch::Any) {
                        return Err(AppError::PreconditionFailed { current });
                    }
                }
                Err(RepoError::NotFound) => return Err(AppError::NotFound(NUMBER)),
                Err(RepoError::InvalidReference(reference)) => {
                    return Err((write.missing_reference)(reference));
                }
                Err(other) => return Err(AppError::store(other)),
            }
        }
        Err(AppError::Unavailable(format!(
            "phone number {id} is changing too often; retry the request"
        )))
    }

    /// `DELETE /v1/phone-numbers/{id}`: the number leaves the org (history
    /// is kept); a demo number goes back to the pool and the provider is
    /// told, a VoIP number is detached and stays with the customer.
    ///
    /// # Errors
    /// `NotFound` (also for a second DELETE); `PreconditionFailed`.
    pub async fn delete_number(
        &self,
        caller: &Principal,
        id: PhoneNumberId,
        if_match: Option<IfMatch>,
    ) -> Result<(), AppError> {
        let number = self.get_number(caller, id).await?;
        IfMatch::check(if_match.as_ref(), number.version())?;
        let expected = matches!(if_match, Some(IfMatch::Versions(_))).then_some(number.version());
        let deleted = self
            .ports
            .numbers
            .delete_number(
                caller.org_id,
                id,
                expected,
                self.ports.clock.now(),
                Some(caller.actor()),
            )
            .await
            .not_found_as(NUMBER)?;
        if deleted.source() == thunderphone_domain::Source::Demo {
            let provider = self.ports.provider.clone();
            tokio::spawn(async move {
                if let Err(error) = provider.release(deleted.number()).await {
                    tracing::warn!(number_id = %deleted.id(), %error, "provider release failed");
                }
            });
        }
        Ok(())
    }

    /// `GET /v1/phone-numbers/{id}/versions`: the snapshots recorded while
    /// the caller's org held the number, newest first.
    ///
    /// # Errors
    /// `NotFound` when the number is not in the caller's org.
    pub async fn list_versions(
        &self,
        caller: &Principal,
        id: PhoneNumberId,
        page: PageRequest<Version>,
    ) -> Result<Page<VersionSnapshot, Version>, AppError> {
        self.ports
            .numbers
            .list_versions(caller.org_id, id, page)
            .await
            .not_found_as(NUMBER)
    }
}
