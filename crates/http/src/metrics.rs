//! Prometheus metrics of the HTTP layer (the `prometheus` crate: the
//! reference Rust client, text format without extra dependencies).

use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Every metric the service exports, in one registry.
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Arc<Registry>,
    requests: IntCounterVec,
    latency: HistogramVec,
    verifications: IntCounterVec,
    /// Phone numbers by source and status (set on every scrape).
    pub numbers: IntGaugeVec,
    /// Activation jobs by state (set on every scrape).
    pub jobs: IntGaugeVec,
    /// Free demo-pool numbers (set on every scrape).
    pub free_pool: IntGauge,
    /// Store connection pool usage (set on every scrape).
    pub pool_connections: IntGaugeVec,
    /// Requests admitted because the shared rate-limit store could not
    /// be reached.
    pub rate_limit_fail_open: IntCounter,
    /// Webhook attempts of this instance by outcome (set on every scrape
    /// from the application's counts).
    pub webhook_attempts: IntCounterVec,
    /// Age of the oldest pending webhook delivery, in seconds.
    pub webhook_oldest_pending: prometheus::Gauge,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: T,
) -> Result<T, prometheus::Error> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

impl HttpMetrics {
    /// Creates and registers every metric.
    ///
    /// # Errors
    /// Only on a programming error (a duplicate or malformed metric).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("thunderphone".into()), None)?;
        let requests = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests by method, route pattern and status",
                ),
                &["method", "route", "status"],
            )?,
        )?;
        let buckets = vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let latency = register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "HTTP request latency by method, route pattern and status",
                )
                .buckets(buckets),
                &["method", "route", "status"],
            )?,
        )?;
        let verifications = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "voip_verifications_total",
                    "VoIP verification runs by result",
                ),
                &["result"],
            )?,
        )?;
        let numbers = register(
            &registry,
            IntGaugeVec::new(
                Opts::new("phone_numbers", "Phone numbers held, by source and status"),
                &["source", "status"],
            )?,
        )?;
        let jobs = register(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "activation_jobs",
                    "Activation jobs by state (due, leased, retrying)",
                ),
                &["state"],
            )?,
        )?;
        let free_pool = register(
            &registry,
            IntGauge::with_opts(Opts::new(
                "demo_pool_free_numbers",
                "Demo-pool numbers nobody holds",
            ))?,
        )?;
        let pool_connections = register(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "store_pool_connections",
                    "Database pool connections by state (idle, in_use, max)",
                ),
                &["state"],
            )?,
        )?;
        let rate_limit_fail_open = register(
            &registry,
            IntCounter::with_opts(Opts::new(
                "rate_limit_fail_open_total",
                "Requests admitted without a rate-limit decision: the shared store (Redis) could not be reached",
            ))?,
        )?;
        let webhook_attempts = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "webhook_attempts_total",
                    "Webhook delivery attempts by outcome: succeeded (2xx), http_error (another status), no_answer (refused destination, network error or timeout)",
                ),
                &["outcome"],
            )?,
        )?;
        let webhook_oldest_pending = register(
            &registry,
            prometheus::Gauge::with_opts(Opts::new(
                "webhook_oldest_pending_delivery_age_seconds",
                "How long the oldest pending webhook delivery has waited (0 when none is pending)",
            ))?,
        )?;
        Ok(Self {
            registry: Arc::new(registry),
            webhook_attempts,
            webhook_oldest_pending,
            requests,
            latency,
            verifications,
            numbers,
            jobs,
            free_pool,
            pool_connections,
            rate_limit_fail_open,
        })
    }

    /// Records one served request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Records one verification run.
    pub fn observe_verification(&self, passed: bool) {
        self.verifications
            .with_label_values(&[if passed { "verified" } else { "failed" }])
            .inc();
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}
