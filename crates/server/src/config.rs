//! Start-up configuration (API.md §13): environment variables, each
//! overridable by a flag of the same meaning, read into one typed value.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

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
#[derive(Clone, Args)]
pub struct Config {
    /// Listen address.
    #[arg(
        long = "bind",
        env = "THUNDERPHONE_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,

    /// Postgres URL; unset = the embedded in-memory store.
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Most connections in the database pool.
    #[arg(
        long = "db-pool-size",
        env = "THUNDERPHONE_DB_POOL_SIZE",
        default_value_t = 16
    )]
    pub db_pool_size: u32,

    /// How long a request waits for a database connection before it is
    /// answered 503, in ms.
    #[arg(
        long = "db-connect-timeout-ms",
        env = "THUNDERPHONE_DB_CONNECT_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub db_connect_timeout_ms: u64,

    /// Bound on every database statement, in ms (PostgreSQL's
    /// `statement_timeout`); with the connect timeout it also bounds how
    /// long a request waits for the database at all.
    #[arg(
        long = "db-statement-timeout-ms",
        env = "THUNDERPHONE_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub db_statement_timeout_ms: u64,

    /// Apply pending migrations at start-up (`false` when migrations are run
    /// separately with `thunderphone migrate`).
    #[arg(long = "migrate", env = "THUNDERPHONE_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,

    /// Enables `/admin/v1` with this bearer token.
    #[arg(
        long = "admin-token",
        env = "THUNDERPHONE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

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

    /// Key that encrypts stored credentials.
    #[arg(
        long = "secret-key",
        env = "THUNDERPHONE_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,

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
    /// buckets, shared by every instance using it; unset = in process.
    #[arg(
        long = "redis-url",
        env = "THUNDERPHONE_REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,

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

    /// Proxies (CIDRs or addresses, comma-separated) whose
    /// `X-Forwarded-For` names the client; empty: the header is ignored.
    #[arg(
        long = "trusted-proxies",
        env = "THUNDERPHONE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = thunderphone_http::parse_network
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Bound on one VoIP verification, in seconds.
    #[arg(
        long = "verify-timeout-secs",
        env = "THUNDERPHONE_VERIFY_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub verify_timeout_secs: u64,

    /// On SIGTERM/SIGINT: how long requests in flight and activation
    /// attempts may take to finish before the process exits anyway.
    #[arg(
        long = "shutdown-timeout-secs",
        env = "THUNDERPHONE_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub shutdown_timeout_secs: u64,

    /// How long a whole request body may take to arrive, in ms; a slower
    /// one is answered 408 and its connection closed.
    #[arg(
        long = "body-timeout-ms",
        env = "THUNDERPHONE_BODY_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub body_timeout_ms: u64,
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

    /// HTTP worker threads; 0 = one per core.
    #[arg(long = "workers", env = "THUNDERPHONE_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Carrier accounts and verification settings.
    #[command(flatten)]
    pub carriers: crate::carriers::CarrierConfig,

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

impl Config {
    /// The activation retry policy.
    pub fn activation_policy(&self) -> thunderphone_app::ActivationPolicy {
        thunderphone_app::ActivationPolicy {
            attempt_timeout: Duration::from_millis(self.activation_attempt_timeout_ms.max(1)),
            max_attempts: self.activation_max_attempts.max(1),
            ..thunderphone_app::ActivationPolicy::default()
        }
    }

    /// The demo activation delay.
    pub fn demo_activation(&self) -> Duration {
        Duration::from_millis(self.demo_activation_ms)
    }

    /// A configuration for tests and embedding: every default, port 0.
    pub fn for_tests() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: None,
            db_pool_size: 8,
            db_connect_timeout_ms: 2000,
            db_statement_timeout_ms: 5000,
            migrate: true,
            admin_token: None,
            provider: ProviderKind::Demo,
            demo_activation_ms: 2000,
            activation_attempt_timeout_ms: 30_000,
            activation_max_attempts: 5,
            secret_key: None,
            rate_limit_per_sec: 100,
            rate_limit_burst: 200,
            redis_url: None,
            redis_prefix: "thunderphone:".into(),
            redis_timeout_ms: 200,
            auth_failures_per_min: 30,
            trusted_proxies: Vec::new(),
            verify_timeout_secs: 10,
            shutdown_timeout_secs: 10,
            body_timeout_ms: 10_000,
            idempotency_purge_interval_secs: 300,
            idempotency_purge_batch: 1000,
            workers: 2,
            log_format: LogFormat::Text,
            carriers: crate::carriers::CarrierConfig::default(),
            outbound: crate::outbound::OutboundConfig::default(),
            webhooks: crate::webhooks::WebhookConfig {
                retry_schedule: None,
                event_purge_interval_secs: 3600,
            },
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &redacted(&self.database_url))
            .field("db_pool_size", &self.db_pool_size)
            .field("db_connect_timeout_ms", &self.db_connect_timeout_ms)
            .field("db_statement_timeout_ms", &self.db_statement_timeout_ms)
            .field("migrate", &self.migrate)
            .field("admin_token", &redacted(&self.admin_token))
            .field("provider", &self.provider)
            .field("demo_activation_ms", &self.demo_activation_ms)
            .field(
                "activation_attempt_timeout_ms",
                &self.activation_attempt_timeout_ms,
            )
            .field("activation_max_attempts", &self.activation_max_attempts)
            .field("secret_key", &redacted(&self.secret_key))
            .field("rate_limit_per_sec", &self.rate_limit_per_sec)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("redis_url", &redacted(&self.redis_url))
            .field("redis_prefix", &self.redis_prefix)
            .field("redis_timeout_ms", &self.redis_timeout_ms)
            .field("auth_failures_per_min", &self.auth_failures_per_min)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("verify_timeout_secs", &self.verify_timeout_secs)
            .field("shutdown_timeout_secs", &self.shutdown_timeout_secs)
            .field("body_timeout_ms", &self.body_timeout_ms)
            .field(
                "idempotency_purge_interval_secs",
                &self.idempotency_purge_interval_secs,
            )
            .field("idempotency_purge_batch", &self.idempotency_purge_batch)
            .field("workers", &self.workers)
            .field("log_format", &self.log_format)
            .field("carriers", &self.carriers)
            .field("outbound", &self.outbound)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn admission_options_parse_and_secrets_do_not_print() {
        let parsed = Cli::try_parse_from([
            "thunderphone",
            "--trusted-proxies",
            "10.0.0.0/8, 192.168.1.1",
            "--redis-url",
            "redis://:hunter2@redis.internal:6379/0",
        ]);
        let Ok(Cli { config }) = parsed else {
            panic!("parses")
        };
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.auth_failures_per_min, 30);
        assert_eq!(config.redis_prefix, "thunderphone:");
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("redis_url: Some(\"[redacted]\")"),
            "{printed}"
        );
        assert!(
            Cli::try_parse_from(["thunderphone", "--trusted-proxies", "proxy.local"]).is_err(),
            "a proxy must be an address or a CIDR"
        );
    }
}
