//! The activation job of a provisioned demo number: ask the provider,
//! bounded per attempt and in attempts, then record `activated` or
//! `provisioning_failed`. A number is its own job marker: while it is a
//! `provisioning` demo number its job is pending, so jobs are resumed after
//! a restart from the store ([`App::resume_activations`]).

use std::time::Duration;

use thunderphone_domain::{PhoneNumber, PhoneNumberId, Source, Status};
use thunderphone_ports::{NumberChange, ProviderError, RepoError};

use crate::{App, AppError};

/// How activation retries and when it gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationPolicy {
    /// Bound on one call to the provider.
    pub attempt_timeout: Duration,
    /// Attempts before the number is marked `failed`.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubles each time.
    pub initial_backoff: Duration,
    /// Upper bound on the wait between attempts.
    pub max_backoff: Duration,
}

impl Default for ActivationPolicy {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(30),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl ActivationPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What the provider finally said.
enum Outcome {
    Activated,
    Failed(String),
}

impl App {
    /// Starts the activation job of a number in the background.
    pub(crate) fn spawn_activation(&self, id: PhoneNumberId) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(error) = app.run_activation(id).await {
                tracing::error!(number_id = %id, %error, "activation job failed to record its outcome");
            }
        });
    }

    /// Restarts the jobs of every pending activation; call once at start-up.
    /// Returns how many were resumed.
    ///
    /// # Errors
    /// When the store cannot list them.
    pub async fn resume_activations(&self) -> Result<usize, AppError> {
        let pending = self.ports.numbers.pending_activations().await?;
        for number in &pending {
            self.spawn_activation(number.id());
        }
        Ok(pending.len())
    }

    /// Runs one job to its end. Public so that embedders and tests can run
    /// a job inline instead of in the background.
    ///
    /// # Errors
    /// Only when the outcome cannot be stored.
    pub async fn run_activation(&self, id: PhoneNumberId) -> Result<(), AppError> {
        let Some(number) = self.ports.numbers.find_number_unscoped(id).await? else {
            return Ok(()); // deleted meanwhile: nothing to activate
        };
        if number.source() != Source::Demo || number.status() != Status::Provisioning {
            return Ok(()); // not (or no longer) waiting for the provider
        }
        let outcome = self.ask_provider(&number).await;
        self.record_outcome(id, outcome).await
    }

    async fn ask_provider(&self, number: &PhoneNumber) -> Outcome {
        let policy = &self.settings.activation;
        let mut last_error = String::from("no attempt was made");
        for attempt in 1..=policy.max_attempts {
            let call = self.ports.provider.activate(number.number());
            match tokio::time::timeout(policy.attempt_timeout, call).await {
                Ok(Ok(())) => return Outcome::Activated,
                Ok(Err(ProviderError::Rejected(reason))) => {
                    return Outcome::Failed(format!("the provider refused the number: {reason}"));
                }
                Ok(Err(ProviderError::Unavailable(reason))) => last_error = reason,
                Err(_) => {
                    last_error = format!(
                        "the provider did not answer within {} ms",
                        policy.attempt_timeout.as_millis()
                    );
                }
            }
            tracing::warn!(number_id = %number.id(), attempt, error = %last_error, "activation attempt failed");
            if attempt < policy.max_attempts {
                tokio::time::sleep(policy.backoff(attempt)).await;
            }
        }
        Outcome::Failed(format!(
            "the provider did not activate the number after {} attempts: {last_error}",
            policy.max_attempts
        ))
    }

    /// Records the outcome, re-reading on a concurrent change (a client may
    /// assign agents while the number is provisioning).
    async fn record_outcome(&self, id: PhoneNumberId, outcome: Outcome) -> Result<(), AppError> {
        for _ in 0..crate::numbers::MAX_WRITE_RETRIES {
            let Some(number) = self.ports.numbers.find_number_unscoped(id).await? else {
                return Ok(());
            };
            let now = self.ports.clock.now();
            let transition = match &outcome {
                Outcome::Activated => number.activate(now),
                Outcome::Failed(reason) => number.fail_provisioning(reason.clone(), now),
            };
            let Ok(updated) = transition else {
                return Ok(()); // no longer provisioning: someone else settled it
            };
            let change = NumberChange {
                expected: number.version(),
                updated,
                actor: None,
            };
            match self.ports.numbers.save_change(change).await {
                Ok(saved) => {
                    tracing::info!(number_id = %id, status = %saved.status(), "activation finished");
                    return Ok(());
                }
                Err(RepoError::VersionConflict { .. }) => continue,
                Err(RepoError::NotFound) => return Ok(()),
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Unexpected(format!(
            "number {id} kept changing while recording its activation"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = ActivationPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..ActivationPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(350));
        assert_eq!(p.backoff(40), Duration::from_millis(350));
    }
}
