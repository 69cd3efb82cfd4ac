//! `POST /v1/phone-numbers/{id}/transfer`.

use thunderphone_domain::{OrgId, PhoneNumber, PhoneNumberId, Principal, VoipConnectionId};
use thunderphone_ports::Reference;

use crate::error::reference_error;
use crate::{Action, App, AppError, IfMatch};

/// A transfer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The org to move into.
    pub target_org_id: OrgId,
    /// The target org's connection (VoIP numbers only).
    pub target_voip_connection_id: Option<VoipConnectionId>,
}

impl App {
    /// Moves a number to another org atomically (one conditional write of
    /// the number and its `transferred` snapshot).
    ///
    /// # Errors
    /// `Forbidden` unless the caller is admin+ in both orgs (also when the
    /// target org does not exist); `NotFound`; `InvalidStatusTransition`
    /// unless `active`/`released`; `Validation` for the same org or a
    /// connection that is missing or not the target org's;
    /// `PreconditionFailed`.
    pub async fn transfer_number(
        &self,
        caller: &Principal,
        id: PhoneNumberId,
        request: TransferRequest,
        if_match: Option<IfMatch>,
    ) -> Result<PhoneNumber, AppError> {
        self.authorize(
            caller,
            &Action::TransferNumber {
                target_org_id: request.target_org_id,
            },
        )
        .await?;
        if let Some(connection) = request.target_voip_connection_id {
            let found = self
                .ports
                .connections
                .find_connection(request.target_org_id, connection)
                .await
                .map_err(AppError::store)?;
            if found.is_none() {
                return Err(not_the_targets_connection());
            }
        }
        self.modify_from(
            caller,
            None,
            id,
            if_match.as_ref(),
            crate::numbers::Write {
                missing_reference,
                checks: Vec::new(),
            },
            |number, now| {
                Ok(Some(number.transfer(
                    request.target_org_id,
                    request.target_voip_connection_id,
                    now,
                )?))
            },
        )
        .await
    }
}

/// The connection a transfer names is checked again when the move is
/// written (it may be deleted meanwhile); either way it is the request's
/// `target_voip_connection_id` that is wrong.
fn missing_reference(reference: Reference) -> AppError {
    match reference {
        Reference::VoipConnection(_) => not_the_targets_connection(),
        other => reference_error(other),
    }
}

fn not_the_targets_connection() -> AppError {
    AppError::invalid(
        "target_voip_connection_id",
        "is not a VoIP connection of the target org",
    )
}
