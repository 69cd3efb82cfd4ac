//! `POST /v1/phone-numbers/{id}/verify-voip`.

use thunderphone_domain::{PhoneNumber, PhoneNumberId, Principal, Timestamp, Verification};
use thunderphone_ports::{CheckOutcome, VaultError};

use crate::{App, AppError};

/// What one verification run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationReport {
    /// True when every check passed.
    pub passed: bool,
    /// When the run finished.
    pub checked_at: Timestamp,
    /// Each named check.
    pub checks: Vec<CheckOutcome>,
}

/// The number after verification and the report of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The number with its new verification state.
    pub number: PhoneNumber,
    /// The run.
    pub verification: VerificationReport,
}

impl App {
    /// Runs the VoIP checks, bounded in time, and records the outcome.
    ///
    /// The bound (API.md §9) runs from the start of the call: the reads
    /// before the checks use part of it, and the checks are cancelled when
    /// it ends, whatever DNS or the peer is doing (every step of a verifier
    /// is a future, so cancelling it stops its lookups and sockets too).
    ///
    /// # Errors
    /// `NotFound`; `NotVerifiable` for demo numbers and numbers without a
    /// connection; `InvalidStatusTransition` for `released` numbers;
    /// `Busy` when this instance's outbound budget is spent.
    pub async fn verify_number(
        &self,
        caller: &Principal,
        id: PhoneNumberId,
    ) -> Result<Verified, AppError> {
        let timeout = self.settings.verification_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let number = self.get_number(caller, id).await?;
        let connection_id = number.check_verifiable()?;
        let Some((connection, sealed)) = self
            .ports
            .connections
            .find_connection_credentials(caller.org_id, connection_id)
            .await
            .map_err(AppError::store)?
        else {
            return Err(AppError::NotVerifiable(
                "the number's VoIP connection no longer exists".into(),
            ));
        };
        let checks = match self.ports.vault.open(&sealed) {
            Ok(credentials) => {
                let permit = self.outbound.try_take()?;
                let run = self
                    .ports
                    .verifier
                    .verify(&connection, &credentials, number.number());
                let finished = tokio::time::timeout_at(deadline, run).await;
                drop(permit);
                match finished {
                    Ok(checks) if !checks.is_empty() => checks,
                    Ok(_) => vec![CheckOutcome::failed(
                        "verification",
                        "the verifier ran no checks",
                    )],
                    Err(_) => vec![CheckOutcome::failed(
                        "verification",
                        format!(
                            "the verification did not finish within {} s; check that the trunk or account answers",
                            timeout.as_secs_f32()
                        ),
                    )],
                }
            }
            // Stored before today's rules: never sent anywhere. The customer
            // can fix it; a 5xx would tell them nothing.
            Err(VaultError::Outdated(field)) => vec![outdated(field)],
            Err(other) => return Err(other.into()),
        };
        let passed = checks.iter().all(|c| c.passed);
        let outcome = if passed {
            Verification::Passed
        } else {
            let reason = checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect::<Vec<_>>()
                .join("; ");
            Verification::Failed {
                reason: format!("VoIP verification failed: {reason}"),
            }
        };
        let number = self
            .modify_from(
                caller,
                None,
                id,
                None,
                crate::numbers::Write {
                    checks: checks.clone(),
                    ..crate::numbers::Write::default()
                },
                |number, now| Ok(Some(number.record_verification(outcome.clone(), now)?)),
            )
            .await?;
        let checked_at = number.updated_at();
        Ok(Verified {
            number,
            verification: VerificationReport {
                passed,
                checked_at,
                checks,
            },
        })
    }
}

/// The failed check for credentials stored before a rule that they break.
fn outdated(field: &str) -> CheckOutcome {
    CheckOutcome::failed(
        "credentials",
        format!(
            "the connection's stored {field} was accepted by an earlier version but holds characters that are not allowed any more, so it was not used; delete this connection and create it again with valid credentials"
        ),
    )
}
