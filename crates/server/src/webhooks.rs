//! Webhook settings (API.md §14): the retry schedule and the purge of old
//! events, plus the sender every delivery goes through.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use thunderphone_app::{RetrySchedule, WebhookSettings};
use thunderphone_ports::{OutboundGate, WebhookSender};
use thunderphone_webhook_sender::HttpWebhookSender;

/// Most an attempt may take, from the lookup to the answer (API.md §14).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How deliveries are retried and events kept.
#[derive(Debug, Clone, Args)]
pub struct WebhookConfig {
    /// Waits before each retry of a failed delivery, e.g. `1s,2s,4s`
    /// (units ms, s, m, h); default about 5s,30s,2m,10m,30m,1h,3h,6h,12h,24h.
    #[arg(
        long = "webhook-retry-schedule",
        env = "THUNDERPHONE_WEBHOOK_RETRY_SCHEDULE"
    )]
    pub retry_schedule: Option<RetrySchedule>,

    /// Seconds between purges of events older than 30 days.
    #[arg(
        long = "event-purge-interval-secs",
        env = "THUNDERPHONE_EVENT_PURGE_INTERVAL_SECS",
        default_value_t = 3600
    )]
    pub event_purge_interval_secs: u64,
}

impl WebhookConfig {
    /// The application's webhook settings.
    pub fn settings(&self) -> WebhookSettings {
        WebhookSettings {
            retry_schedule: self.retry_schedule.clone().unwrap_or_default(),
            ..WebhookSettings::default()
        }
    }

    /// How often old events are purged.
    pub fn purge_every(&self) -> Duration {
        Duration::from_secs(self.event_purge_interval_secs.max(1))
    }
}

/// The sender of webhook attempts, through `gate`.
///
/// # Errors
/// When the HTTP client cannot be built (TLS roots).
pub fn sender(gate: Arc<dyn OutboundGate>) -> anyhow::Result<Arc<dyn WebhookSender>> {
    Ok(Arc::new(HttpWebhookSender::new(gate, ATTEMPT_TIMEOUT)?))
}
