//! The work a server does beside answering requests: the activation and
//! webhook workers, the purges, and the housekeeping of the in-process
//! limiters. The composition root starts them; `Running` stops them.

use std::future::Future;
use std::time::Duration;

use thunderphone_app::App;
use thunderphone_http::{AuthFailures, RateLimits};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Config;

/// The workers of a running server and the signal that stops them.
pub(crate) struct Workers {
    /// Sending `true` stops the purges and asks the workers to finish.
    pub(crate) stop: watch::Sender<bool>,
    /// The activation and webhook workers, done once both have finished.
    pub(crate) done: JoinHandle<()>,
}

/// Resolves once `true` is sent on `stop` (or the sender is gone).
fn stopped(stop: &watch::Sender<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut receiver = stop.subscribe();
    async move {
        let _ = receiver.wait_for(|stop| *stop).await;
    }
}

/// Starts the purges and the workers. The workers pick up every due job
/// and delivery, including those left by a previous run of this or another
/// instance.
pub(crate) fn start_workers(app: &App, config: &Config) -> Workers {
    let (stop, _) = watch::channel(false);
    let purge_app = app.clone();
    let purge_every = Duration::from_secs(config.database.idempotency_purge_interval_secs.max(1));
    let purge_batch = config.database.idempotency_purge_batch.max(1);
    let purge_stopped = stopped(&stop);
    tokio::spawn(async move {
        purge_app
            .run_idempotency_purge(purge_every, purge_batch, purge_stopped)
            .await;
    });
    let events_app = app.clone();
    let events_every = config.webhooks.purge_every();
    let events_stopped = stopped(&stop);
    tokio::spawn(async move {
        events_app
            .run_event_purge(events_every, 1000, events_stopped)
            .await;
    });
    let sessions_app = app.clone();
    let sessions_stopped = stopped(&stop);
    tokio::spawn(async move {
        sessions_app
            .run_session_purge(Duration::from_secs(15 * 60), 1000, sessions_stopped)
            .await;
    });
    let worker_app = app.clone();
    let webhooks_stopped = stopped(&stop);
    let activation_stopped = stopped(&stop);
    let done = tokio::spawn(async move {
        let webhooks = worker_app.run_webhook_worker(webhooks_stopped);
        let activation = worker_app.run_activation_worker(activation_stopped);
        tokio::join!(webhooks, activation);
    });
    Workers { stop, done }
}

/// Keeps the in-process rate limits and failed-authentication counts
/// small, for as long as the process runs.
pub(crate) fn start_housekeeping(
    rate_limits: Option<RateLimits>,
    auth_failures: Option<AuthFailures>,
) {
    if let Some(limits) = rate_limits {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RateLimits::SHRINK_EVERY).await;
                limits.shrink();
            }
        });
    }
    if let Some(failures) = auth_failures {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(AuthFailures::PURGE_EVERY).await;
                failures.purge();
            }
        });
    }
}
