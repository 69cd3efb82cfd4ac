//! `POST /v1/phone-numbers/{id}/transfer`.

use thunderphone_domain::{OrgId, PhoneNumber, PhoneNumberId, Principal, VoipConnectionId};

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
                .await?;
            if found.is_none() {
                return Err(AppError::invalid(
                    "target_voip_connection_id",
                    "is not a VoIP connection of the target org",
                ));
            }
        }
        let moved = self
            .modify(caller, id, if_match.as_ref(), |number, now| {
                Ok(Some(number.transfer(
                    request.target_org_id,
                    request.target_voip_connection_id,
                    now,
                )?))
            })
            .await;
        match moved {
            Err(AppError::Validation(errors))
                if errors.iter().any(|e| e.field == "voip_connection_id") =>
            {
                Err(AppError::invalid(
                    "target_voip_connection_id",
                    "is not a VoIP connection of the target org",
                ))
            }
            other => other,
        }
    }
}
