//! `thunderphone admin …` and `thunderphone migrate`: the operator actions
//! of API.md §13 and the lists of §17 from the command line, against the
//! configured database.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use thunderphone_app::{App, AppError, Ports, Settings};
use thunderphone_carriers::{DemoProvider, UnsupportedVerifier};
use thunderphone_domain::{ApiKeyId, DisplayName, Email, OrgId, Role, UserId};
use thunderphone_ports::SystemClock;
use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_vault::{AesGcmVault, KeyRing};

use crate::admin_output as output;

/// Where the database is, and the keys of its sealed credentials. Global:
/// accepted before or after the subcommand.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Postgres URL. The admin commands need the production store: the
    /// embedded store lives inside a running server (use the operator API).
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,

    /// Keys that seal stored credentials (needed by `rotate-secrets`).
    #[arg(
        long = "secret-key",
        env = "THUNDERPHONE_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,
}

/// The database `thunderphone migrate` brings up to date.
#[derive(Clone, Args)]
pub struct MigrateArgs {
    /// Postgres URL of the database to migrate (the same one `serve` is
    /// given).
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

impl std::fmt::Debug for MigrateArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MigrateArgs { [redacted] }")
    }
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseArgs { [redacted] }")
    }
}

/// An operator action.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create an org; prints it as JSON.
    CreateOrg {
        /// 1–100 characters.
        #[arg(long)]
        name: String,
    },
    /// Create a user; prints it as JSON.
    CreateUser {
        /// E-mail address, unique.
        #[arg(long)]
        email: String,
    },
    /// Give a user a role in an org (creates or changes the membership).
    SetRole {
        /// The org.
        #[arg(long)]
        org: i64,
        /// The user.
        #[arg(long)]
        user: i64,
        /// member, admin or owner.
        #[arg(long)]
        role: String,
    },
    /// Issue an API key for a member of an org; prints it once.
    CreateKey {
        /// The user the key acts as.
        #[arg(long)]
        user: i64,
        /// The org it acts in.
        #[arg(long)]
        org: i64,
    },
    /// Revoke an API key; it stops working at once.
    RevokeKey {
        /// The key's id.
        #[arg(long)]
        id: i64,
    },
    /// Re-seal every stored credential under the first key of
    /// THUNDERPHONE_SECRET_KEY, so older keys can be removed.
    RotateSecrets,
    /// List orgs, newest first: one JSON object per line.
    ListOrgs,
    /// List users, newest first: one JSON object per line.
    ListUsers,
    /// List an org's members, newest user first: one JSON object per line.
    ListMembers {
        /// The org.
        #[arg(long)]
        org: i64,
    },
    /// List API keys (never their secrets), newest first: one JSON object
    /// per line.
    ListKeys {
        /// Only keys acting in this org.
        #[arg(long)]
        org: Option<i64>,
        /// Only keys of this user.
        #[arg(long)]
        user: Option<i64>,
    },
}

fn store(url: &str) -> anyhow::Result<Arc<PgStore>> {
    let options = PoolOptions {
        max_size: 2,
        connection_timeout: Duration::from_secs(5),
        // Operator commands may touch every row (rotate-secrets).
        statement_timeout: Duration::from_secs(60),
    };
    Ok(Arc::new(
        PgStore::connect(url, options).context("invalid database URL")?,
    ))
}

/// `thunderphone migrate`: applies pending migrations and exits.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn migrate(db: &MigrateArgs) -> anyhow::Result<()> {
    store(&db.database_url)?
        .run_migrations()
        .await
        .context("migration failed")?;
    Ok(())
}

fn app(store: Arc<PgStore>, db: &DatabaseArgs) -> anyhow::Result<App> {
    let ring = match &db.secret_key {
        Some(value) => KeyRing::parse(value)?,
        None => KeyRing::empty(),
    };
    let gate: Arc<dyn thunderphone_ports::OutboundGate> = Arc::new(
        thunderphone_outbound::DnsGate::new(thunderphone_outbound::GateConfig::default()),
    );
    let ports = Ports {
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
        // Admin commands send no webhooks; the real sender keeps the
        // application whole.
        sender: crate::webhooks::sender(gate.clone())?,
        gate,
        provider: Arc::new(DemoProvider::new(Duration::ZERO)),
        verifier: Arc::new(UnsupportedVerifier),
        clock: Arc::new(SystemClock),
        vault: Arc::new(AesGcmVault::new(ring)),
    };
    Ok(App::new(ports, Settings::default()))
}

/// Parses a positive id given on the command line.
pub(crate) fn id<T>(
    what: &str,
    raw: i64,
    make: impl Fn(i64) -> Result<T, thunderphone_domain::IdError>,
) -> anyhow::Result<T> {
    make(raw).map_err(|_| anyhow::anyhow!("{what} must be a positive id, not {raw}"))
}

/// Runs one admin command, handing each JSON line of its output to
/// `print`.
///
/// # Errors
/// One clear line: invalid input, a missing record, or an unreachable
/// database.
pub async fn run(
    db: &DatabaseArgs,
    command: AdminCommand,
    print: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let url = db
        .database_url
        .as_deref()
        .context("the admin commands need a database: set DATABASE_URL or pass --database-url")?;
    if matches!(command, AdminCommand::RotateSecrets) && db.secret_key.is_none() {
        anyhow::bail!(
            "rotate-secrets needs the keys that sealed the stored credentials: set \
             THUNDERPHONE_SECRET_KEY (or --secret-key) to id:base64 entries, newest first"
        );
    }
    let store = store(url)?;
    store
        .run_migrations()
        .await
        .context("the database is not reachable or not migratable")?;
    let app = app(store, db)?;
    let line = match command {
        AdminCommand::CreateOrg { name } => {
            let name = DisplayName::parse(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            output::org(&app.create_org(name).await.map_err(explain)?)
        }
        AdminCommand::CreateUser { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            output::user(&app.create_user(email).await.map_err(explain)?)
        }
        AdminCommand::SetRole { org, user, role } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role {e}"))?;
            let m = app
                .set_membership(
                    id("--org", org, OrgId::new)?,
                    id("--user", user, UserId::new)?,
                    role,
                )
                .await
                .map_err(explain)?;
            output::membership(&m)
        }
        AdminCommand::CreateKey { user, org } => {
            let issued = app
                .create_api_key(
                    id("--user", user, UserId::new)?,
                    id("--org", org, OrgId::new)?,
                )
                .await
                .map_err(explain)?;
            output::issued_key(&issued)
        }
        AdminCommand::RevokeKey { id: key } => {
            app.revoke_api_key(id("--id", key, ApiKeyId::new)?)
                .await
                .map_err(explain)?;
            serde_json::json!({ "revoked": key }).to_string()
        }
        AdminCommand::RotateSecrets => {
            let rotated = app.rotate_secrets().await.map_err(explain)?;
            serde_json::json!({ "resealed": rotated.resealed, "skipped": rotated.skipped })
                .to_string()
        }
        list => return crate::admin_lists::run(&app, list, print).await,
    };
    print(&line);
    Ok(())
}

/// Turns an application error into one line for the terminal.
pub(crate) fn explain(error: AppError) -> anyhow::Error {
    match error {
        AppError::Unexpected(_) => anyhow::anyhow!("unexpected error; see the logs"),
        AppError::Validation(errors) => {
            let text = errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            anyhow::anyhow!("{text}")
        }
        other => anyhow::anyhow!("{other}"),
    }
}
