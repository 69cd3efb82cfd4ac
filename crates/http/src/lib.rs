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
use thunderphone_app::{Action, App};

pub use auth_failures::{AuthFailures, auth_failures};
pub use client_addr::{TrustedProxies, parse_network};
pub use context::{REQUEST_ID_HEADER, current_request_id, request_context};
pub use dto::page::CursorSigner;
pub use extract::{BODY_TIMEOUT, MAX_BODY_BYTES};
pub use fallback::problem_json_errors;
pub use idempotency::{ActionOf, IDEMPOTENCY_KEY, idempotent};
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

/// Registers every route on an actix app or scope.
pub fn configure(state: HttpState) -> impl FnOnce(&mut ServiceConfig) {
    use routes::{
        agents, connections, method_not_allowed as not_allowed, numbers, operator, operator_lists,
        probes,
    };
    use web::{delete, get, patch, post, put, resource};
    move |cfg: &mut ServiceConfig| {
        let metrics = web::Data::new(state.metrics.clone());
        cfg.app_data(web::Data::new(state))
            .app_data(metrics)
            .service(
                resource("/healthz")
                    .route(get().to(probes::healthz))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/readyz")
                    .route(get().to(probes::readyz))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/metrics")
                    .route(get().to(probes::metrics))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/openapi.json")
                    .route(get().to(probes::openapi))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/v1/me")
                    .route(get().to(probes::me))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/v1/phone-numbers")
                    .route(get().to(numbers::list))
                    .route(idempotent(post().to(numbers::provision), |_| {
                        Some(Action::ProvisionNumber)
                    }))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/v1/phone-numbers/{phone_number_id}")
                    .route(get().to(numbers::get))
                    .route(put().to(numbers::put))
                    .route(patch().to(numbers::patch))
                    .route(delete().to(numbers::delete))
                    .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
            )
            .service(
                resource("/v1/phone-numbers/{phone_number_id}/transfer")
                    .route(idempotent(
                        post().to(numbers::transfer),
                        numbers::transfer_action,
                    ))
                    .default_service(not_allowed("POST")),
            )
            .service(
                resource("/v1/phone-numbers/{phone_number_id}/versions")
                    .route(get().to(numbers::versions))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/v1/phone-numbers/{phone_number_id}/verify-voip")
                    .route(idempotent(post().to(numbers::verify), |_| {
                        Some(Action::VerifyNumber)
                    }))
                    .default_service(not_allowed("POST")),
            )
            .service(
                resource("/v1/agents")
                    .route(get().to(agents::list))
                    .route(idempotent(post().to(agents::create), |_| {
                        Some(Action::CreateAgent)
                    }))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/v1/agents/{agent_id}")
                    .route(get().to(agents::get))
                    .route(patch().to(agents::rename))
                    .route(delete().to(agents::delete))
                    .default_service(not_allowed("GET, PATCH, DELETE")),
            )
            .service(
                resource("/v1/voip-connections")
                    .route(get().to(connections::list))
                    .route(idempotent(post().to(connections::create), |_| {
                        Some(Action::CreateConnection)
                    }))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/v1/voip-connections/{voip_connection_id}")
                    .route(get().to(connections::get))
                    .route(delete().to(connections::delete))
                    .default_service(not_allowed("GET, DELETE")),
            )
            .service(
                resource("/v1/voip-connections/{voip_connection_id}/import")
                    .route(idempotent(post().to(connections::import), |_| {
                        Some(Action::ImportNumbers)
                    }))
                    .default_service(not_allowed("POST")),
            )
            .service(
                resource("/admin/v1/orgs")
                    .route(get().to(operator_lists::list_orgs))
                    .route(post().to(operator::create_org))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/admin/v1/users")
                    .route(get().to(operator_lists::list_users))
                    .route(post().to(operator::create_user))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/admin/v1/orgs/{org_id}/members")
                    .route(get().to(operator_lists::list_members))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/admin/v1/orgs/{org_id}/members/{user_id}")
                    .route(put().to(operator::set_membership))
                    .default_service(not_allowed("PUT")),
            )
            .service(
                resource("/admin/v1/api-keys")
                    .route(get().to(operator_lists::list_api_keys))
                    .route(post().to(operator::create_api_key))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/admin/v1/api-keys/{api_key_id}")
                    .route(delete().to(operator::revoke_api_key))
                    .default_service(not_allowed("DELETE")),
            )
            .service(
                resource("/docs")
                    .route(get().to(routes::probes::docs_redirect))
                    .default_service(not_allowed("GET")),
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

fn gauge(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
