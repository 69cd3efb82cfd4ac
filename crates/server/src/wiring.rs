//! Composition root: the one place that knows every adapter.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use anyhow::Context;
use thunderphone_app::{ActivationPolicy, App, Ports, Settings};
use thunderphone_http::{
    AuthFailures, CursorSigner, HttpMetrics, HttpState, MAX_BODY_BYTES, RateLimits, TrustedProxies,
    auth_failures, configure, problem_json_errors, rate_limit_headers, request_context,
};
use thunderphone_ports::{NumberProvider, SystemClock, VoipVerifier};
use thunderphone_rate_limit_redis::RedisRateLimits;
use thunderphone_store_memory::MemoryStore;
use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_vault::{AesGcmVault, KeyRing};

use crate::Config;
use crate::background::{start_housekeeping, start_workers};
use crate::config::ProviderKind;

/// Adapters to use instead of the configured ones (tests, embedding).
#[derive(Default, Clone)]
pub struct Overrides {
    /// Replaces the configured number provider.
    pub provider: Option<Arc<dyn NumberProvider>>,
    /// Replaces the VoIP verifier.
    pub verifier: Option<Arc<dyn VoipVerifier>>,
    /// Replaces the activation retry policy.
    pub activation: Option<ActivationPolicy>,
}

/// A started server.
pub struct Running {
    /// The address it listens on (the real port when bound to port 0).
    pub addr: SocketAddr,
    /// The application it serves, for seeding and inspection.
    pub app: App,
    handle: ServerHandle,
    shutdown_timeout: Duration,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_worker: tokio::sync::watch::Sender<bool>,
    worker: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, then lets the
    /// activation and webhook workers finish their attempts in flight (at
    /// most `deadline`; unfinished jobs and deliveries are picked up again
    /// after a restart).
    pub async fn stop_within(self, deadline: Duration) {
        self.handle.stop(true).await;
        let _ = self.task.await;
        let _ = self.stop_worker.send(true);
        if tokio::time::timeout(deadline, self.worker).await.is_err() {
            tracing::warn!(
                "activation attempts still running at shutdown; their leases will expire"
            );
        }
    }

    /// [`Running::stop_within`] with the configured shutdown timeout.
    pub async fn stop(self) {
        let deadline = self.shutdown_timeout;
        self.stop_within(deadline).await;
    }
}

/// Every storage port, backed by one store.
struct Storage {
    numbers: Arc<dyn thunderphone_ports::NumberRepository>,
    keyed: Arc<dyn thunderphone_ports::KeyedReads>,
    agents: Arc<dyn thunderphone_ports::AgentRepository>,
    connections: Arc<dyn thunderphone_ports::VoipConnectionRepository>,
    tenancy: Arc<dyn thunderphone_ports::TenancyRepository>,
    health: Arc<dyn thunderphone_ports::StoreHealth>,
    jobs: Arc<dyn thunderphone_ports::ActivationQueue>,
    idempotency: Arc<dyn thunderphone_ports::IdempotencyStore>,
    sessions: Arc<dyn thunderphone_ports::SessionStore>,
    events: Arc<dyn thunderphone_ports::EventRepository>,
    webhooks: Arc<dyn thunderphone_ports::WebhookRepository>,
}

impl Storage {
    fn from<S>(store: Arc<S>) -> Self
    where
        S: thunderphone_ports::NumberRepository
            + thunderphone_ports::KeyedReads
            + thunderphone_ports::AgentRepository
            + thunderphone_ports::VoipConnectionRepository
            + thunderphone_ports::TenancyRepository
            + thunderphone_ports::StoreHealth
            + thunderphone_ports::ActivationQueue
            + thunderphone_ports::IdempotencyStore
            + thunderphone_ports::SessionStore
            + thunderphone_ports::EventRepository
            + thunderphone_ports::WebhookRepository
            + 'static,
    {
        Self {
            numbers: store.clone(),
            keyed: store.clone(),
            agents: store.clone(),
            connections: store.clone(),
            tenancy: store.clone(),
            health: store.clone(),
            jobs: store.clone(),
            idempotency: store.clone(),
            sessions: store.clone(),
            events: store.clone(),
            webhooks: store,
        }
    }
}

/// Opens the configured store: Postgres when `DATABASE_URL` is set
/// (migrated unless told not to), else the embedded in-memory store.
async fn open_storage(config: &Config) -> anyhow::Result<Storage> {
    let Some(url) = &config.database.url else {
        tracing::info!("store: embedded in-memory (set DATABASE_URL for Postgres)");
        return Ok(Storage::from(Arc::new(MemoryStore::new())));
    };
    let store = Arc::new(open_postgres(url.expose(), config)?);
    if config.database.migrate {
        store
            .run_migrations()
            .await
            .context("cannot migrate the database")?;
    }
    tracing::info!(pool_size = config.database.pool_size, "store: Postgres");
    if config.pool.provider == ProviderKind::Demo {
        let pool = store.clone();
        tokio::spawn(async move {
            let codes = thunderphone_app::every_area_code();
            match pool.prepare_pool(codes).await {
                Ok(()) => tracing::debug!(area_codes = codes.len(), "demo pool rows ready"),
                Err(error) => {
                    tracing::warn!(%error, "cannot prepare the demo pool now; claims will")
                }
            }
        });
    }
    Ok(Storage::from(store))
}

/// A Postgres store with the configured pool.
///
/// # Errors
/// When the pool settings are invalid.
pub fn open_postgres(url: &str, config: &Config) -> anyhow::Result<PgStore> {
    let database = &config.database;
    let options = PoolOptions {
        max_size: database.pool_size,
        connection_timeout: Duration::from_millis(database.connect_timeout_ms.max(1)),
        statement_timeout: Duration::from_millis(database.statement_timeout_ms.max(1)),
    };
    PgStore::connect(url, options).context("invalid database pool settings")
}

/// The credential vault over `THUNDERPHONE_SECRET_KEY` (empty when unset:
/// then no VoIP credentials can be stored).
///
/// # Errors
/// When the key configuration is malformed.
pub fn vault(config: &Config) -> anyhow::Result<AesGcmVault> {
    let ring = match &config.secrets.secret_key {
        Some(value) => KeyRing::parse(value.expose())?,
        None => KeyRing::empty(),
    };
    if ring.is_empty() {
        tracing::warn!("THUNDERPHONE_SECRET_KEY is not set: creating VoIP connections is refused");
    }
    Ok(AesGcmVault::new(ring))
}

async fn build_app(config: &Config, overrides: Overrides) -> anyhow::Result<App> {
    let storage = open_storage(config).await?;
    let provider: Arc<dyn NumberProvider> = match overrides.provider {
        Some(provider) => provider,
        None => crate::carriers::provider(config)?,
    };
    let verifier = match overrides.verifier {
        Some(verifier) => verifier,
        None => crate::carriers::verifier(config)?,
    };
    let gate = crate::outbound::gate(&config.outbound);
    let ports = Ports {
        vault: Arc::new(vault(config)?),
        events: storage.events,
        webhooks: storage.webhooks,
        sender: crate::webhooks::sender(gate.clone())?,
        gate,
        numbers: storage.numbers,
        keyed: storage.keyed,
        agents: storage.agents,
        connections: storage.connections,
        tenancy: storage.tenancy,
        health: storage.health,
        jobs: storage.jobs,
        idempotency: storage.idempotency,
        sessions: storage.sessions,
        provider,
        verifier,
        clock: Arc::new(SystemClock),
    };
    let settings = Settings {
        activation: overrides
            .activation
            .unwrap_or_else(|| config.activation_policy()),
        verification_timeout: Duration::from_secs(config.carriers.verify_timeout_secs.max(1)),
        outbound_concurrency: config.outbound.concurrency.max(1),
        webhooks: config.webhooks.settings(),
    };
    Ok(App::new(ports, settings))
}

/// Builds the application, resumes pending activation jobs, binds and
/// starts serving in the background.
///
/// # Errors
/// When the configuration names something unsupported or the address
/// cannot be bound.
pub async fn start(config: &Config, overrides: Overrides) -> anyhow::Result<Running> {
    let app = build_app(config, overrides).await?;
    check_secret_key(&app).await?;
    let jobs = start_workers(&app, config);
    let rate_limits = rate_limits(config)?;
    let failed_auth = AuthFailures::new(config.limits.auth_failures_per_min);
    start_housekeeping(rate_limits.clone(), failed_auth.clone());
    let state = HttpState {
        app: app.clone(),
        admin_token: config
            .secrets
            .admin_token
            .as_ref()
            .map(|token| token.expose().to_owned()),
        rate_limits,
        auth_failures: failed_auth,
        trusted_proxies: TrustedProxies::new(config.http.trusted_proxies.clone()),
        metrics: HttpMetrics::new().context("cannot register metrics")?,
        cursors: cursor_signer(config)?,
        body_timeout: Duration::from_millis(config.http.body_timeout_ms.max(1)),
    };
    let mut server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            // Innermost first: headers on the final response, problem+json for
            // every error, then the request id around everything.
            .wrap(from_fn(rate_limit_headers))
            .wrap(from_fn(auth_failures))
            .wrap(problem_json_errors())
            .wrap(from_fn(request_context))
            .app_data(actix_web::web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(configure(state.clone()))
            .configure(thunderphone_console::configure(state.app.clone()))
    })
    .disable_signals()
    // Longer than the usual load balancer idle timeout (60 s), so the
    // balancer, not us, closes idle connections: no request races a close.
    .keep_alive(Duration::from_secs(75))
    .shutdown_timeout(config.http.shutdown_timeout_secs);
    let workers = if config.http.workers > 0 {
        config.http.workers
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    server = server
        .workers(workers)
        .worker_max_blocking_threads(blocking_threads_per_worker(
            config.database.pool_size,
            workers,
        ));
    let server = server
        .bind(config.http.bind)
        .with_context(|| format!("cannot listen on {}", config.http.bind))?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .context("the server bound no address")?;
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    tracing::info!(%addr, "listening");
    Ok(Running {
        addr,
        app,
        handle,
        shutdown_timeout: Duration::from_secs(config.http.shutdown_timeout_secs),
        task,
        stop_worker: jobs.stop,
        worker: jobs.done,
    })
}

/// Cursors are signed with a key derived from `THUNDERPHONE_SECRET_KEY`,
/// which every instance of a deployment shares, so a cursor from one
/// instance works on the next; without it (the embedded store, a single
/// process) the key is random.
fn cursor_signer(config: &Config) -> anyhow::Result<CursorSigner> {
    match &config.secrets.secret_key {
        Some(secret) => Ok(CursorSigner::from_secret(secret.expose().as_bytes())),
        None => CursorSigner::random()
            .map_err(|e| anyhow::anyhow!("no randomness for the cursor key: {e}")),
    }
}

/// Refuses to start when `THUNDERPHONE_SECRET_KEY` cannot open the
/// credentials or webhook secrets already stored: serving would answer
/// every verification (or sign every delivery) with an error, and new credentials would be sealed under a key that may
/// be the wrong one. A store that cannot be read now is not a reason to
/// refuse (it is reported by `/readyz`); the check is then skipped.
async fn check_secret_key(app: &App) -> anyhow::Result<()> {
    let unreadable = match app.unreadable_credential_keys().await {
        Ok(unreadable) => unreadable,
        Err(error) => {
            tracing::warn!(%error, "cannot check THUNDERPHONE_SECRET_KEY against stored credentials now");
            return Ok(());
        }
    };
    if unreadable.is_empty() {
        return Ok(());
    }
    let lacking: Vec<&str> = unreadable
        .iter()
        .filter(|k| !k.configured_differently)
        .map(|k| k.key_id.as_str())
        .collect();
    let different: Vec<&str> = unreadable
        .iter()
        .filter(|k| k.configured_differently)
        .map(|k| k.key_id.as_str())
        .collect();
    let mut problems = Vec::new();
    if !lacking.is_empty() {
        problems.push(format!("it lacks the key ids {}", lacking.join(", ")));
    }
    if !different.is_empty() {
        problems.push(format!(
            "its keys named {} are not the keys that sealed them",
            different.join(", ")
        ));
    }
    anyhow::bail!(
        "THUNDERPHONE_SECRET_KEY cannot open the VoIP credentials or webhook secrets already stored: {}; \
         configure every key that sealed them (id:base64, comma-separated, newest first)",
        problems.join("; ")
    )
}

/// The per-key rate limits: in Redis when `THUNDERPHONE_REDIS_URL` is set
/// (one limit for every instance), else in process.
///
/// # Errors
/// When the Redis URL is malformed.
fn rate_limits(config: &Config) -> anyhow::Result<Option<RateLimits>> {
    let limits = &config.limits;
    let (per_second, burst) = (limits.rate_limit_per_sec, limits.rate_limit_burst);
    let Some(url) = &limits.redis_url else {
        return Ok(RateLimits::new(per_second, burst));
    };
    let timeout = Duration::from_millis(limits.redis_timeout_ms.max(1));
    let store = RedisRateLimits::connect(url.expose(), &limits.redis_prefix, timeout)
        .context("invalid THUNDERPHONE_REDIS_URL")?;
    tracing::info!(prefix = %limits.redis_prefix, "rate limits: shared in Redis");
    Ok(RateLimits::shared(
        per_second,
        burst,
        Arc::new(store),
        timeout,
    ))
}

/// Blocking threads for each HTTP worker: the store's calls run on them,
/// each holding a pooled connection, so together the workers get as many
/// as the pool has connections. Requests beyond that wait in the worker's
/// queue (in order) rather than as threads parked on the pool, which only
/// costs memory and context switches.
fn blocking_threads_per_worker(pool_size: u32, workers: usize) -> usize {
    (pool_size as usize).div_ceil(workers.max(1)).max(1)
}
