//! Start-up configuration (API.md §13): environment variables, each
//! overridable by a flag of the same meaning, read into one typed value,
//! in sections by concern. Every secret is a [`Secret`], so the whole
//! value derives `Debug` and can be logged.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, FromArgMatches, ValueEnum};
use thunderphone_domain::Secret;

/// Which carrier backs the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    /// ThunderPhone's demo pool (no external calls).
    Demo,
    /// Twilio.
    Twilio,
    /// Telnyx.
    Telnyx,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything `thunderphone serve` needs.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Where and how the HTTP API is served.
    #[command(flatten)]
    pub http: HttpConfig,

    /// The store.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// The pool's carrier and how its numbers are activated.
    #[command(flatten)]
    pub pool: PoolConfig,

    /// Carrier accounts and verification settings.
    #[command(flatten)]
    pub carriers: crate::carriers::CarrierConfig,

    /// Per-key rate limits and the limit on failed authentications.
    #[command(flatten)]
    pub limits: LimitsConfig,

    /// The service's own secrets.
    #[command(flatten)]
    pub secrets: SecretsConfig,

    /// Where tenants' destinations may be, and how many are called at once.
    #[command(flatten)]
    pub outbound: crate::outbound::OutboundConfig,

    /// Webhook retries and the event log's purge.
    #[command(flatten)]
    pub webhooks: crate::webhooks::WebhookConfig,

    /// Log format.
    #[arg(
        long = "log-format",
        env = "THUNDERPHONE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

/// Where and how the HTTP API is served.
#[derive(Debug, Clone, Args)]
pub struct HttpConfig {
    /// Listen address.
    #[arg(
        long = "bind",
        env = "THUNDERPHONE_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,

    /// HTTP worker threads; 0 = one per core.
    #[arg(long = "workers", env = "THUNDERPHONE_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// How long a whole request body may take to arrive, in ms; a slower
    /// one is answered 408 and its connection closed.
    #[arg(
        long = "body-timeout-ms",
        env = "THUNDERPHONE_BODY_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub body_timeout_ms: u64,

    /// On SIGTERM/SIGINT: how long requests in flight and activation
    /// attempts may take to finish before the process exits anyway.
    #[arg(
        long = "shutdown-timeout-secs",
        env = "THUNDERPHONE_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub shutdown_timeout_secs: u64,

    /// Proxies (CIDRs or addresses, comma-separated) whose
    /// `X-Forwarded-For` names the client; empty: the header is ignored.
    #[arg(
        long = "trusted-proxies",
        env = "THUNDERPHONE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = thunderphone_http::parse_network
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The store: Postgres when a URL is given, and the store's housekeeping.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Postgres URL; unset = the embedded in-memory store. A secret: it
    /// may hold the password.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        hide_env_values = true,
        value_parser = secret
    )]
    pub url: Option<Secret>,

    /// Most connections in the database pool.
    #[arg(
        long = "db-pool-size",
        env = "THUNDERPHONE_DB_POOL_SIZE",
        default_value_t = 16
    )]
    pub pool_size: u32,

    /// How long a request waits for a database connection before it is
    /// answered 503, in ms.
    #[arg(
        long = "db-connect-timeout-ms",
        env = "THUNDERPHONE_DB_CONNECT_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub connect_timeout_ms: u64,

    /// Bound on every database statement, in ms (PostgreSQL's
    /// `statement_timeout`); with the connect timeout it also bounds how
    /// long a request waits for the database at all.
    #[arg(
        long = "db-statement-timeout-ms",
        env = "THUNDERPHONE_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub statement_timeout_ms: u64,

    /// Apply pending migrations at start-up (`false` when migrations are run
    /// separately with `thunderphone migrate`).
    #[arg(long = "migrate", env = "THUNDERPHONE_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,

    /// How often expired idempotency keys (older than 24 h) are deleted,
    /// in seconds.
    #[arg(
        long = "idempotency-purge-interval-secs",
        env = "THUNDERPHONE_IDEMPOTENCY_PURGE_INTERVAL_SECS",
        default_value_t = 300
    )]
    pub idempotency_purge_interval_secs: u64,

    /// Most expired idempotency keys one purge statement deletes.
    #[arg(
        long = "idempotency-purge-batch",
        env = "THUNDERPHONE_IDEMPOTENCY_PURGE_BATCH",
        default_value_t = 1000
    )]
    pub idempotency_purge_batch: u32,
}

/// The pool's carrier and how its numbers are activated.
#[derive(Debug, Clone, Args)]
pub struct PoolConfig {
    /// Carrier behind the pool.
    #[arg(
        long = "provider",
        env = "THUNDERPHONE_PROVIDER",
        value_enum,
        default_value = "demo"
    )]
    pub provider: ProviderKind,

    /// How long the demo upstream takes to activate a number, in ms.
    #[arg(
        long = "demo-activation-ms",
        env = "THUNDERPHONE_DEMO_ACTIVATION_MS",
        default_value_t = 2000
    )]
    pub demo_activation_ms: u64,

    /// Bound on one call to the carrier while activating a number, in ms.
    /// A worker's lease on a job lasts twice as long (at least 5 s): that is
    /// how soon another instance takes over the jobs of one that died.
    #[arg(
        long = "activation-attempt-timeout-ms",
        env = "THUNDERPHONE_ACTIVATION_ATTEMPT_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub activation_attempt_timeout_ms: u64,

    /// Attempts before a number the carrier does not activate is `failed`.
    #[arg(
        long = "activation-max-attempts",
        env = "THUNDERPHONE_ACTIVATION_MAX_ATTEMPTS",
        default_value_t = 5
    )]
    pub activation_max_attempts: u32,
}

/// Per-key rate limits and the limit on failed authentications.
#[derive(Debug, Clone, Args)]
pub struct LimitsConfig {
    /// Per-API-key refill rate; 0 turns rate limiting off.
    #[arg(
        long = "rate-limit-per-sec",
        env = "THUNDERPHONE_RATE_LIMIT_PER_SEC",
        default_value_t = 100
    )]
    pub rate_limit_per_sec: u32,

    /// Per-API-key bucket size.
    #[arg(
        long = "rate-limit-burst",
        env = "THUNDERPHONE_RATE_LIMIT_BURST",
        default_value_t = 200
    )]
    pub rate_limit_burst: u32,

    /// Redis URL (`redis://[:password@]host:port/db`) holding the rate-limit
    /// buckets, shared by every instance using it; unset = in process. A
    /// secret: it may hold the password.
    #[arg(
        long = "redis-url",
        env = "THUNDERPHONE_REDIS_URL",
        hide_env_values = true,
        value_parser = secret
    )]
    pub redis_url: Option<Secret>,

    /// Prefix of every Redis key this service writes.
    #[arg(
        long = "redis-prefix",
        env = "THUNDERPHONE_REDIS_PREFIX",
        default_value = "thunderphone:"
    )]
    pub redis_prefix: String,

    /// Bound on one rate-limit call to Redis, in ms; past it the request
    /// is admitted (and counted in `/metrics`).
    #[arg(
        long = "redis-timeout-ms",
        env = "THUNDERPHONE_REDIS_TIMEOUT_MS",
        default_value_t = 200
    )]
    pub redis_timeout_ms: u64,

    /// Failed authentications (401s) one client address may cause per
    /// minute before it is answered 429 until the minute has passed; 0
    /// turns the limit off.
    #[arg(
        long = "auth-failures-per-min",
        env = "THUNDERPHONE_AUTH_FAILURES_PER_MIN",
        default_value_t = 30
    )]
    pub auth_failures_per_min: u32,
}

/// The service's own secrets (carrier keys are with their carrier).
#[derive(Debug, Clone, Args)]
pub struct SecretsConfig {
    /// Key that encrypts stored credentials.
    #[arg(
        long = "secret-key",
        env = "THUNDERPHONE_SECRET_KEY",
        hide_env_values = true,
        value_parser = secret
    )]
    pub secret_key: Option<Secret>,

    /// Enables `/admin/v1` with this bearer token.
    #[arg(
        long = "admin-token",
        env = "THUNDERPHONE_ADMIN_TOKEN",
        hide_env_values = true,
        value_parser = secret
    )]
    pub admin_token: Option<Secret>,
}

/// Reads a secret setting; any string is one.
pub(crate) fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

impl Config {
    /// Every setting at its default, whatever the environment holds: the
    /// defaults declared above, parsed, not copied.
    ///
    /// # Errors
    /// Only if a setting were declared required.
    pub fn defaults() -> Result<Self, clap::Error> {
        let command = Self::augment_args(clap::Command::new("thunderphone"))
            .mut_args(|arg| arg.env(None::<&'static str>));
        Self::from_arg_matches(&command.try_get_matches_from(["thunderphone"])?)
    }

    /// A configuration for tests and embedding: the defaults, on port 0,
    /// with a small pool, two workers and a shorter shutdown.
    ///
    /// # Panics
    /// Never: [`Config::defaults`] fails only if a setting were declared
    /// required, which a unit test rules out.
    #[allow(clippy::expect_used)]
    pub fn for_tests() -> Self {
        let mut config = Self::defaults().expect("every setting has a default");
        config.http.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        config.http.workers = 2;
        config.http.shutdown_timeout_secs = 10;
        config.database.pool_size = 8;
        config
    }

    /// The activation retry policy.
    pub fn activation_policy(&self) -> thunderphone_app::ActivationPolicy {
        thunderphone_app::ActivationPolicy {
            attempt_timeout: Duration::from_millis(self.pool.activation_attempt_timeout_ms.max(1)),
            max_attempts: self.pool.activation_max_attempts.max(1),
            ..thunderphone_app::ActivationPolicy::default()
        }
    }

    /// The demo activation delay.
    pub fn demo_activation(&self) -> Duration {
        Duration::from_millis(self.pool.demo_activation_ms)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
