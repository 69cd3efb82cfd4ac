//! Who may do what (API.md §11), in one place: the use cases check it
//! before their work, and the HTTP adapter checks it before it claims or
//! replays an idempotency key (API.md §17), so a replay is served only to
//! a caller who may make that request now.

use thunderphone_domain::{OrgId, Principal, Role};

use crate::{App, AppError};

/// A request that changes something, as far as authorisation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `POST /v1/phone-numbers`: any role.
    ProvisionNumber,
    /// `POST /v1/phone-numbers/{id}/verify-voip`: any role.
    VerifyNumber,
    /// `POST /v1/phone-numbers/{id}/transfer`: admin+ in the caller's org
    /// and in the target org.
    TransferNumber {
        /// The org the number would move to.
        target_org_id: OrgId,
    },
    /// `POST /v1/agents`: any role.
    CreateAgent,
    /// `POST /v1/voip-connections`: admin+.
    CreateConnection,
    /// `DELETE /v1/voip-connections/{id}`: admin+.
    DeleteConnection,
    /// `POST /v1/voip-connections/{id}/import`: any role.
    ImportNumbers,
    /// Creating, changing, deleting webhook endpoints, rotating their
    /// secrets, retrying deliveries and sending test events: admin+.
    ManageWebhooks,
}

fn require_admin(caller: &Principal, what: &str) -> Result<(), AppError> {
    if caller.role.at_least(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} needs the admin or owner role"
        )))
    }
}

impl App {
    /// Whether `caller` may do `action` now. Only roles are checked here;
    /// whether the records involved exist is the use case's business.
    ///
    /// # Errors
    /// `Forbidden` when the caller's role is not enough (for a transfer,
    /// also when the caller is not admin+ in the target org, or it does
    /// not exist); store errors.
    pub async fn authorize(&self, caller: &Principal, action: &Action) -> Result<(), AppError> {
        match action {
            Action::ProvisionNumber
            | Action::VerifyNumber
            | Action::CreateAgent
            | Action::ImportNumbers => Ok(()),
            Action::CreateConnection => require_admin(caller, "creating a VoIP connection"),
            Action::DeleteConnection => require_admin(caller, "deleting a VoIP connection"),
            Action::ManageWebhooks => require_admin(caller, "managing webhook endpoints"),
            Action::TransferNumber { target_org_id } => {
                if !caller.role.at_least(Role::Admin) {
                    return Err(AppError::Forbidden(
                        "transferring a number needs the admin or owner role".into(),
                    ));
                }
                let target_role = self
                    .ports
                    .tenancy
                    .find_role(*target_org_id, caller.user_id)
                    .await
                    .map_err(AppError::store)?;
                if target_role.is_some_and(|r| r.at_least(Role::Admin)) {
                    Ok(())
                } else {
                    Err(AppError::Forbidden(
                        "transferring needs the admin or owner role in the target org too".into(),
                    ))
                }
            }
        }
    }
}
