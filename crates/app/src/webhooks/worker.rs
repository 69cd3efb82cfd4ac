//! The delivery worker: leases due deliveries from the outbox, sends each
//! within the instance's outbound budget, and records how it went. Any
//! number of instances may run one against the same store: a lease is
//! exclusive, and a lease whose attempt never gets recorded (a crash)
//! expires and is attempted again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use thunderphone_domain::Timestamp;
use thunderphone_ports::{
    Attempt, AttemptOutcome, DueDelivery, SendOutcome, SigningKey, WebhookRequest,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{RetrySchedule, event_body, span};
use crate::App;

/// Tunables of webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// When failed attempts are retried.
    pub retry_schedule: RetrySchedule,
    /// Most endpoints per org (API.md §14: 20).
    pub max_endpoints_per_org: usize,
    /// How long a leased delivery is held before another worker may take
    /// it: longer than an attempt can take.
    pub lease: Duration,
    /// Longest wait between looks at the outbox when no commit wakes the
    /// worker.
    pub poll_interval: Duration,
    /// Most attempts this worker runs at once (within the outbound budget
    /// shared with verifications).
    pub max_in_flight: usize,
    /// An endpoint failing every attempt for this long is disabled.
    pub disable_after: Duration,
    /// How long a rotated-out secret keeps signing.
    pub rotation_grace: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_schedule: RetrySchedule::default(),
            max_endpoints_per_org: 20,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            max_in_flight: 32,
            disable_after: Duration::from_secs(24 * 60 * 60),
            rotation_grace: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// Attempts made by this instance, by outcome, for `/metrics`.
#[derive(Debug, Default)]
pub struct AttemptCounts {
    succeeded: AtomicU64,
    http_error: AtomicU64,
    no_answer: AtomicU64,
}

impl AttemptCounts {
    /// `(outcome, count)`: `succeeded` (2xx), `http_error` (another
    /// status), `no_answer` (refused destination, network error, timeout).
    pub fn snapshot(&self) -> [(&'static str, u64); 3] {
        [
            ("succeeded", self.succeeded.load(Ordering::Relaxed)),
            ("http_error", self.http_error.load(Ordering::Relaxed)),
            ("no_answer", self.no_answer.load(Ordering::Relaxed)),
        ]
    }
}

/// Most of a receiver's answer kept in `last_error`.
const EXCERPT_LIMIT: usize = 1024;

impl App {
    /// Attempts made by this instance, by outcome.
    pub fn webhook_attempts(&self) -> &AttemptCounts {
        &self.webhook_attempts
    }

    /// How long the oldest pending delivery has waited, read within
    /// [`crate::PROBE_BOUND`]: `Some(ZERO)` when none is pending, `None`
    /// when the store did not answer (in time).
    pub async fn oldest_pending_delivery_age(&self) -> Option<Duration> {
        let oldest = tokio::time::timeout(crate::PROBE_BOUND, self.ports.webhooks.oldest_pending())
            .await
            .ok()?
            .ok()?;
        Some(oldest.map_or(Duration::ZERO, |created| {
            (self.ports.clock.now() - created)
                .to_std()
                .unwrap_or(Duration::ZERO)
        }))
    }

    /// Delivers webhooks until `shutdown` completes, then waits for the
    /// attempts in flight (bound that wait from outside if needed).
    pub async fn run_webhook_worker(&self, shutdown: impl std::future::Future<Output = ()>) {
        let settings = self.settings.webhooks.clone();
        let slots = Arc::new(Semaphore::new(settings.max_in_flight.max(1)));
        let mut in_flight = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            let free = slots.available_permits();
            if free > 0 {
                let now = self.ports.clock.now();
                let until = now + span(settings.lease);
                match self
                    .ports
                    .webhooks
                    .lease_due_deliveries(now, free, until)
                    .await
                {
                    Ok(due) => {
                        for delivery in due {
                            let Ok(slot) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let app = self.clone();
                            in_flight.spawn(async move {
                                app.attempt_delivery(delivery).await;
                                drop(slot);
                            });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot lease webhook deliveries"),
                }
            }
            while in_flight.try_join_next().is_some() {}
            tokio::select! {
                () = &mut shutdown => break,
                () = self.ports.webhooks.wait_for_deliveries(settings.poll_interval) => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            }
        }
        tracing::info!(in_flight = in_flight.len(), "webhook worker stopping");
        while in_flight.join_next().await.is_some() {}
    }

    /// One attempt of a leased delivery, recorded whatever happens.
    async fn attempt_delivery(&self, due: DueDelivery) {
        // Deliveries wait for room rather than fail: the budget protects
        // the instance, and the lease outlives the wait.
        let permit = self.outbound.take().await;
        let started = self.ports.clock.now();
        let outcome = match permit {
            Ok(_permit) => self.send(&due, started).await,
            Err(_) => SendOutcome::NotAnswered {
                error: "the server is shutting down".into(),
            },
        };
        let attempts = due.delivery.attempts.saturating_add(1);
        let retry_at = self
            .settings
            .webhooks
            .retry_schedule
            .after(attempts)
            .map(|wait| started + span(wait));
        let (recorded, label, status) = classify(outcome, retry_at);
        match label {
            "succeeded" => &self.webhook_attempts.succeeded,
            "http_error" => &self.webhook_attempts.http_error,
            _ => &self.webhook_attempts.no_answer,
        }
        .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            delivery_id = %due.delivery.id,
            event_id = %due.delivery.event_id,
            endpoint_id = %due.delivery.endpoint_id,
            attempt = attempts,
            outcome = label,
            status,
            "webhook attempt"
        );
        let attempt = Attempt {
            delivery_id: due.delivery.id,
            at: started,
            outcome: recorded,
            disable_if_failing_since: started - span(self.settings.webhooks.disable_after),
        };
        if let Err(error) = self.ports.webhooks.record_attempt(attempt).await {
            tracing::warn!(delivery_id = %due.delivery.id, %error, "cannot record a webhook attempt; it will be retried when its lease expires");
        }
    }

    /// Signs and sends; every failure is an outcome.
    async fn send(&self, due: &DueDelivery, now: Timestamp) -> SendOutcome {
        let keys: Result<Vec<SigningKey>, _> = due
            .secrets
            .iter()
            .map(|sealed| self.ports.vault.open_webhook_secret(sealed).map(SigningKey))
            .collect();
        let keys = match keys {
            Ok(keys) => keys,
            Err(error) => {
                tracing::error!(delivery_id = %due.delivery.id, %error, "cannot open a webhook signing secret");
                return SendOutcome::NotAnswered {
                    error: "the endpoint's signing secret cannot be read by this server".into(),
                };
            }
        };
        let body = match event_body(&due.event) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(delivery_id = %due.delivery.id, %error, "cannot render an event");
                return SendOutcome::NotAnswered {
                    error: "the event could not be rendered".into(),
                };
            }
        };
        self.ports
            .sender
            .send(WebhookRequest {
                url: due.url.clone(),
                webhook_id: due.event.id.to_string(),
                timestamp: now.timestamp(),
                keys,
                body: body.into(),
            })
            .await
    }
}

/// What to record, the metrics label, and the status for the log.
fn classify(
    outcome: SendOutcome,
    retry_at: Option<Timestamp>,
) -> (AttemptOutcome, &'static str, Option<u16>) {
    match outcome {
        SendOutcome::Answered { status, .. } if (200..300).contains(&status) => (
            AttemptOutcome::Succeeded { status },
            "succeeded",
            Some(status),
        ),
        SendOutcome::Answered {
            status,
            body_excerpt,
        } => {
            let mut error = if (300..400).contains(&status) {
                format!("the endpoint answered {status} (redirects are not followed)")
            } else {
                format!("the endpoint answered {status}")
            };
            if !body_excerpt.is_empty() {
                error.push_str(": ");
                error.push_str(&body_excerpt);
            }
            truncate(&mut error, EXCERPT_LIMIT);
            let failed = AttemptOutcome::Failed {
                status: Some(status),
                error,
                retry_at,
            };
            (failed, "http_error", Some(status))
        }
        SendOutcome::NotAnswered { mut error } => {
            truncate(&mut error, EXCERPT_LIMIT);
            let failed = AttemptOutcome::Failed {
                status: None,
                error,
                retry_at,
            };
            (failed, "no_answer", None)
        }
    }
}

/// Cuts `text` to at most `limit` bytes, on a character boundary.
fn truncate(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_answers() {
        let ok = SendOutcome::Answered {
            status: 204,
            body_excerpt: String::new(),
        };
        assert_eq!(classify(ok, None).1, "succeeded");
        let redirect = SendOutcome::Answered {
            status: 302,
            body_excerpt: String::new(),
        };
        let (outcome, label, _) = classify(redirect, None);
        assert_eq!(label, "http_error");
        assert!(
            matches!(outcome, AttemptOutcome::Failed { error, retry_at: None, .. } if error.contains("redirects are not followed"))
        );
        let big = SendOutcome::Answered {
            status: 500,
            body_excerpt: "é".repeat(2000),
        };
        let (outcome, ..) = classify(big, None);
        let AttemptOutcome::Failed { error, .. } = outcome else {
            panic!("a 500 is a failure");
        };
        assert!(error.len() <= EXCERPT_LIMIT);
    }
}
