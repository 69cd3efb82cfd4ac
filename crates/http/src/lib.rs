//! The HTTP adapter: actix-web routes for the whole API of `API.md`, the
//! problem+json error mapping, and the OpenAPI document generated from the
//! handlers (utoipa).
//!
//! Mount it with [`configure`] and wrap the app in [`problem_json_errors`]
//! so that even actix's own errors (unknown routes, unreadable paths) come
//! out as problem+json.

mod auth_failures;
mod client_addr;
mod context;
mod dto;
mod extract;
mod fallback;
mod idempotency;
mod metrics;
pub mod openapi;
mod problem;
mod rate_limit;
mod routes;

use actix_web::web::{self, ServiceConfig};
use thunderphone_app::App;

pub use auth_failures::{AuthFailures, auth_failures};
pub use client_addr::{TrustedProxies, parse_network};
pub use context::{REQUEST_ID_HEADER, current_request_id, request_context};
pub use dto::page::CursorSigner;
pub use extract::{BODY_TIMEOUT, MAX_BODY_BYTES};
pub use fallback::problem_json_errors;
pub use idempotency::{ActionOf, IDEMPOTENCY_KEY, idempotent, idempotent_secret_once};
pub use metrics::HttpMetrics;
pub use problem::{PROBLEM_JSON, Problem, ProblemField};
pub use rate_limit::{RateLimits, rate_limit_headers};

/// What every handler shares.
#[derive(Clone)]
pub struct HttpState {
    /// The application.
    pub app: App,
    /// Bearer token of the operator API; `None` disables `/admin/v1`.
    pub admin_token: Option<String>,
    /// Per-API-key rate limits; `None` turns them off.
    pub rate_limits: Option<RateLimits>,
    /// Failed authentications per client address; `None` turns the limit
    /// off.
    pub auth_failures: Option<AuthFailures>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// The metrics registry.
    pub metrics: HttpMetrics,
    /// Signs and checks list cursors.
    pub cursors: CursorSigner,
    /// How long a whole request body may take to arrive.
    pub body_timeout: std::time::Duration,
}

/// Registers every route on an actix app or scope: the API's from the
/// route table ([`routes::table`]), then the documentation page.
pub fn configure(state: HttpState) -> impl FnOnce(&mut ServiceConfig) {
    use web::{get, resource};
    move |cfg: &mut ServiceConfig| {
        let metrics = web::Data::new(state.metrics.clone());
        cfg.app_data(web::Data::new(state)).app_data(metrics);
        routes::table().register(cfg);
        cfg.service(
            resource("/docs")
                .route(get().to(routes::probes::docs_redirect))
                .default_service(routes::method_not_allowed("GET")),
        )
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::from("/openapi.json")),
        )
        .default_service(web::to(routes::no_route));
    }
}

impl HttpState {
    /// Sets the store gauges from a fresh count; a store that cannot be
    /// reached leaves them as they were (and `/readyz` reports it).
    async fn refresh_store_metrics(&self) {
        self.refresh_webhook_metrics().await;
        let stats = match self.app.store_stats().await {
            Ok(Some(stats)) => stats,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot read store statistics");
                return;
            }
        };
        let m = &self.metrics;
        m.numbers.reset();
        for (source, status, count) in &stats.numbers {
            m.numbers
                .with_label_values(&[source.as_str(), status.as_str()])
                .set(gauge(*count));
        }
        for (state, count) in [
            ("due", stats.jobs_due),
            ("leased", stats.jobs_leased),
            ("waiting", stats.jobs_waiting),
        ] {
            m.jobs.with_label_values(&[state]).set(gauge(count));
        }
        let pool_size = thunderphone_app::demo_pool_size();
        m.free_pool
            .set(gauge(pool_size.saturating_sub(stats.held_pool_numbers)));
        if let Some(pool) = stats.pool {
            for (state, count) in [
                ("idle", pool.idle),
                ("in_use", pool.in_use),
                ("max", pool.max),
            ] {
                m.pool_connections
                    .with_label_values(&[state])
                    .set(i64::from(count));
            }
        }
    }
}

impl HttpState {
    /// Webhook attempts and the outbox's age.
    async fn refresh_webhook_metrics(&self) {
        for (outcome, count) in self.app.webhook_attempts().snapshot() {
            let counter = self.metrics.webhook_attempts.with_label_values(&[outcome]);
            counter.inc_by(count.saturating_sub(counter.get()));
        }
        if let Some(age) = self.app.oldest_pending_delivery_age().await {
            self.metrics.webhook_oldest_pending.set(age.as_secs_f64());
        }
    }
}

fn gauge(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
