//! VoIP connections and importing numbers through them (API.md §12).

use std::collections::HashSet;

use thunderphone_domain::{
    DisplayName, E164, NewPhoneNumber, PhoneNumber, Principal, SipUri, VoipConnection,
    VoipConnectionId, VoipCredentials, VoipProvider,
};
use thunderphone_ports::{ListCursor, NewVoipConnection, Page, PageRequest};

use crate::error::StoreResult;
use crate::{Action, App, AppError, FieldError};

const CONNECTION: &str = "VoIP connection";

/// Most numbers one import may carry.
pub const MAX_IMPORT: usize = 100;

/// A connection to create; credentials already parsed for their provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnectionRequest {
    /// Display name.
    pub name: DisplayName,
    /// Where a SIP trunk answers (required for `sip`).
    pub termination_uri: Option<SipUri>,
    /// Write-only credentials.
    pub credentials: VoipCredentials,
}

/// Raw numbers to import, as the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    /// 1–100 numbers in any common format.
    pub numbers: Vec<String>,
}

impl App {
    /// Creates a connection (admin+).
    ///
    /// The credentials are sealed by the vault before the store sees them.
    /// Every value that goes into a SIP message is of a type that holds
    /// only what SIP allows there (API.md §15); the termination URI is
    /// checked again here, since [`SipUri::parse_stored`] can build one
    /// under older rules.
    ///
    /// # Errors
    /// `Forbidden`; `Validation` when a SIP connection has no
    /// `termination_uri` or one SIP does not allow; `Unavailable` when no
    /// secret key is configured.
    pub async fn create_connection(
        &self,
        caller: &Principal,
        request: NewConnectionRequest,
    ) -> Result<VoipConnection, AppError> {
        self.authorize(caller, &Action::CreateConnection).await?;
        if request.credentials.provider() == VoipProvider::Sip && request.termination_uri.is_none()
        {
            return Err(AppError::invalid(
                "termination_uri",
                "is required for sip connections",
            ));
        }
        if let Some(uri) = &request.termination_uri {
            SipUri::parse(uri.as_str())
                .map_err(|e| AppError::invalid("termination_uri", e.to_string()))?;
        }
        let sealed = self.ports.vault.seal(&request.credentials)?;
        let new = NewVoipConnection {
            org_id: caller.org_id,
            name: request.name,
            provider: request.credentials.provider(),
            termination_uri: request.termination_uri,
            credentials: sealed,
            created_at: self.ports.clock.now(),
        };
        self.ports
            .connections
            .create_connection(new)
            .await
            .map_err(AppError::store)
    }

    /// A connection of the caller's org (without credentials).
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get_connection(
        &self,
        caller: &Principal,
        id: VoipConnectionId,
    ) -> Result<VoipConnection, AppError> {
        self.ports
            .connections
            .find_connection(caller.org_id, id)
            .await
            .map_err(AppError::store)?
            .ok_or(AppError::NotFound(CONNECTION))
    }

    /// One page of the caller's connections.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn list_connections(
        &self,
        caller: &Principal,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<VoipConnection, ListCursor>, AppError> {
        self.ports
            .connections
            .list_connections(caller.org_id, page)
            .await
            .map_err(AppError::store)
    }

    /// Deletes a connection (admin+), detaching its numbers.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub async fn delete_connection(
        &self,
        caller: &Principal,
        id: VoipConnectionId,
    ) -> Result<(), AppError> {
        self.authorize(caller, &Action::DeleteConnection).await?;
        let now = self.ports.clock.now();
        self.ports
            .connections
            .delete_connection(caller.org_id, id, now, Some(caller.actor()))
            .await
            .not_found_as(CONNECTION)
    }

    /// Imports 1–100 of the customer's numbers through a connection, all or
    /// nothing: each as `voip`, `provisioning`, `unverified`.
    ///
    /// # Errors
    /// `NotFound` for the connection; `Validation` listing every invalid or
    /// repeated number; `NumberTaken` listing every number already held.
    pub async fn import_numbers(
        &self,
        caller: &Principal,
        connection_id: VoipConnectionId,
        request: ImportRequest,
    ) -> Result<Vec<PhoneNumber>, AppError> {
        let connection = self.get_connection(caller, connection_id).await?;
        let numbers = parse_import(&request.numbers)?;
        let now = self.ports.clock.now();
        let drafts = numbers
            .into_iter()
            .map(|n| NewPhoneNumber::voip(caller.org_id, n, connection.id, now))
            .collect();
        self.ports
            .numbers
            .insert_numbers(drafts, Some(caller.actor()))
            .await
            .map_err(AppError::store)
    }
}

fn parse_import(raw: &[String]) -> Result<Vec<E164>, AppError> {
    if raw.is_empty() || raw.len() > MAX_IMPORT {
        return Err(AppError::invalid(
            "numbers",
            format!("must hold 1-{MAX_IMPORT} numbers"),
        ));
    }
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut numbers = Vec::with_capacity(raw.len());
    for (i, input) in raw.iter().enumerate() {
        match E164::parse(input) {
            Ok(n) if !seen.insert(n.clone()) => {
                errors.push(FieldError::new(
                    format!("numbers[{i}]"),
                    format!("{n} appears more than once"),
                ));
            }
            // The demo pool's numbers belong to every org's provisioning:
            // one import must not be able to take an area code's worth.
            Ok(n) if n.is_demo_pool_shape() => errors.push(FieldError::new(
                format!("numbers[{i}]"),
                format!(
                    "{n} is in the demo pool's range (+1 NPA 555-0100 to 0199), which cannot be imported"
                ),
            )),
            Ok(n) => numbers.push(n),
            Err(e) => errors.push(FieldError::new(format!("numbers[{i}]"), e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(numbers)
    } else {
        Err(AppError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_lists_every_bad_number() {
        let raw = vec![
            "+14155552100".into(),
            "nope".into(),
            "(415) 555-2100".into(),
            "+1".into(),
        ];
        let Err(AppError::Validation(errors)) = parse_import(&raw) else {
            panic!("must fail")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["numbers[1]", "numbers[2]", "numbers[3]"]);
    }

    #[test]
    fn demo_pool_numbers_cannot_be_imported() {
        let raw = vec![
            "+19075550100".into(),
            "+19075550099".into(),
            "(907) 555-0199".into(),
            "+19075550200".into(),
        ];
        let Err(AppError::Validation(errors)) = parse_import(&raw) else {
            panic!("must fail")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["numbers[0]", "numbers[2]"]);
        assert!(errors[0].message.contains("+19075550100"), "{errors:?}");
    }

    #[test]
    fn import_bounds() {
        assert!(parse_import(&[]).is_err());
        let many: Vec<String> = (0..101).map(|i| format!("+1415555{:04}", i)).collect();
        assert!(parse_import(&many).is_err());
        assert_eq!(parse_import(&many[..100]).map(|v| v.len()), Ok(100));
    }
}
