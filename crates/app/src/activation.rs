//! Activation of provisioned demo numbers: ask the provider, bounded per
//! attempt and in attempts, then record `activated` or
//! `provisioning_failed`.
//!
//! Jobs live in the store's [`ActivationQueue`](thunderphone_ports::ActivationQueue):
//! the pool claim creates one with the number, in the same transaction. The
//! worker ([`App::run_activation_worker`]) leases due jobs, makes one
//! attempt per lease, and either settles the number or schedules a retry
//! with backoff. A worker that dies loses nothing: its leases expire and
//! any worker (of any instance) picks the jobs up again. Because the lease
//! outlives an attempt, no job runs on two workers at once.

use std::sync::Arc;
use std::time::Duration;

use thunderphone_domain::{E164, PhoneNumber, PhoneNumberId, Source, Status};
use thunderphone_ports::{ActivationJob, NumberChange, ProviderError, RepoError, Unexpected};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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
    /// How often an idle worker looks for due jobs (retries, jobs of other
    /// instances, expired leases). New jobs of this instance wake it at once.
    pub poll_interval: Duration,
    /// Attempts one worker runs at the same time.
    pub max_in_flight: usize,
}

impl Default for ActivationPolicy {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(30),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            max_in_flight: 256,
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

    /// How long a leased job stays with its worker: longer than an attempt
    /// can take, so a live worker never loses its job to another.
    fn lease(&self) -> Duration {
        self.attempt_timeout
            .saturating_mul(2)
            .max(Duration::from_secs(5))
    }
}

/// What the provider finally said.
enum Outcome {
    Activated,
    Failed(String),
}

/// The result of one attempt.
enum Attempt {
    /// The provider decided: record it.
    Settled(Outcome),
    /// Worth retrying; the error says why it failed.
    Retry(String),
}

impl App {
    /// Tells the worker a new job is due, so it does not wait for its poll.
    pub(crate) fn wake_activation_worker(&self) {
        self.worker_wakeup.notify_one();
    }

    /// Runs activation jobs until `shutdown` completes, then waits for the
    /// attempts in flight (bound that wait from outside if needed). Run one
    /// per process; several processes may share one store.
    pub async fn run_activation_worker(&self, shutdown: impl std::future::Future<Output = ()>) {
        let policy = self.settings.activation.clone();
        let slots = Arc::new(Semaphore::new(policy.max_in_flight.max(1)));
        let mut in_flight = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            let free = slots.available_permits();
            if free > 0 {
                let now = self.ports.clock.now();
                let lease_until =
                    now + chrono::Duration::from_std(policy.lease()).unwrap_or_default();
                match self.ports.jobs.lease_due(now, lease_until, free).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let app = self.clone();
                            in_flight.spawn(async move {
                                let id = job.number_id;
                                if let Err(error) = app.run_leased(job).await {
                                    tracing::error!(number_id = %id, %error, "activation attempt could not be recorded");
                                }
                                drop(permit);
                            });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot lease activation jobs"),
                }
            }
            while in_flight.try_join_next().is_some() {}
            tokio::select! {
                () = &mut shutdown => break,
                () = self.worker_wakeup.notified() => {}
                () = tokio::time::sleep(policy.poll_interval) => {}
            }
        }
        tracing::info!(in_flight = in_flight.len(), "activation worker stopping");
        while in_flight.join_next().await.is_some() {}
    }

    /// One attempt of a leased job; settles the number or schedules a retry.
    async fn run_leased(&self, job: ActivationJob) -> Result<(), AppError> {
        let Some(pending) = self.pending(job.number_id).await? else {
            return Ok(());
        };
        let policy = &self.settings.activation;
        match self.attempt(job.number_id, &job.number).await {
            Attempt::Settled(outcome) => {
                self.record_outcome(job.number_id, outcome, Some(pending))
                    .await
            }
            Attempt::Retry(error) => {
                let attempts = job.attempts.saturating_add(1);
                if attempts >= policy.max_attempts {
                    let outcome = Outcome::Failed(gave_up(policy.max_attempts, &error));
                    return self
                        .record_outcome(job.number_id, outcome, Some(pending))
                        .await;
                }
                let backoff =
                    chrono::Duration::from_std(policy.backoff(attempts)).unwrap_or_default();
                let due = self.ports.clock.now() + backoff;
                self.ports
                    .jobs
                    .retry_at(&job, attempts, due, &error)
                    .await
                    .map_err(AppError::store)
            }
        }
    }

    /// Runs one number's activation to its end inline, every attempt and
    /// backoff included, without the queue. For embedders and tests that
    /// do not run a worker.
    ///
    /// # Errors
    /// Only when the outcome cannot be stored.
    pub async fn run_activation(&self, id: PhoneNumberId) -> Result<(), AppError> {
        let Some(number) = self
            .ports
            .numbers
            .find_number_unscoped(id)
            .await
            .map_err(AppError::store)?
        else {
            return Ok(()); // deleted meanwhile: nothing to activate
        };
        if number.source() != Source::Demo || number.status() != Status::Provisioning {
            return Ok(()); // not (or no longer) waiting for the provider
        }
        let policy = self.settings.activation.clone();
        let mut last_error = String::from("no attempt was made");
        for attempt in 1..=policy.max_attempts {
            match self.attempt(id, number.number()).await {
                Attempt::Settled(outcome) => return self.record_outcome(id, outcome, None).await,
                Attempt::Retry(error) => last_error = error,
            }
            if attempt < policy.max_attempts {
                tokio::time::sleep(policy.backoff(attempt)).await;
            }
        }
        let outcome = Outcome::Failed(gave_up(policy.max_attempts, &last_error));
        self.record_outcome(id, outcome, None).await
    }

    /// The number, if it still waits for the provider (a demo number in
    /// `provisioning`): nothing is activated for a number deleted or
    /// settled meanwhile.
    async fn pending(&self, id: PhoneNumberId) -> Result<Option<PhoneNumber>, AppError> {
        let number = self
            .ports
            .numbers
            .find_number_unscoped(id)
            .await
            .map_err(AppError::store)?;
        Ok(number.filter(|n| n.source() == Source::Demo && n.status() == Status::Provisioning))
    }

    async fn attempt(&self, id: PhoneNumberId, number: &E164) -> Attempt {
        let timeout = self.settings.activation.attempt_timeout;
        let error = match tokio::time::timeout(timeout, self.ports.provider.activate(number)).await
        {
            Ok(Ok(())) => return Attempt::Settled(Outcome::Activated),
            Ok(Err(ProviderError::Rejected(reason))) => {
                return Attempt::Settled(Outcome::Failed(format!(
                    "the provider refused the number: {reason}"
                )));
            }
            Ok(Err(ProviderError::Unavailable(reason))) => reason,
            Err(_) => format!(
                "the provider did not answer within {} ms",
                timeout.as_millis()
            ),
        };
        tracing::warn!(number_id = %id, %error, "activation attempt failed");
        Attempt::Retry(error)
    }

    /// Records the outcome on `read` (the number as last read, if any),
    /// re-reading on a concurrent change (a client may assign agents while
    /// the number is provisioning): the save only lands on the version it
    /// was computed from.
    async fn record_outcome(
        &self,
        id: PhoneNumberId,
        outcome: Outcome,
        mut read: Option<PhoneNumber>,
    ) -> Result<(), AppError> {
        for _ in 0..crate::numbers::MAX_WRITE_RETRIES {
            let number = match read.take() {
                Some(number) => number,
                None => match self
                    .ports
                    .numbers
                    .find_number_unscoped(id)
                    .await
                    .map_err(AppError::store)?
                {
                    Some(number) => number,
                    None => return Ok(()),
                },
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
                checks: Vec::new(),
            };
            match self.ports.numbers.save_change(change).await {
                Ok(saved) => {
                    tracing::info!(number_id = %id, status = %saved.status(), "activation finished");
                    return Ok(());
                }
                Err(RepoError::VersionConflict { .. }) => continue,
                Err(RepoError::NotFound) => return Ok(()),
                Err(other) => return Err(AppError::store(other)),
            }
        }
        Err(AppError::Unexpected(Unexpected::msg(format!(
            "number {id} kept changing while recording its activation"
        ))))
    }
}

fn gave_up(attempts: u32, last_error: &str) -> String {
    format!("the provider did not activate the number after {attempts} attempts: {last_error}")
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
