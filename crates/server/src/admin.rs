//! `thunderphone admin …` and `thunderphone migrate`: the operator actions
//! of API.md §13 from the command line, against the configured database.

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

/// Where the database is, and the keys of its sealed credentials.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Postgres URL. The admin commands need the production store: the
    /// embedded store lives inside a running server (use the operator API).
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Keys that seal stored credentials (needed by `rotate-secrets`).
    #[arg(
        long = "secret-key",
        env = "THUNDERPHONE_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
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
}

fn store(db: &DatabaseArgs) -> anyhow::Result<Arc<PgStore>> {
    let options = PoolOptions {
        max_size: 2,
        connection_timeout: Duration::from_secs(5),
        // Operator commands may touch every row (rotate-secrets).
        statement_timeout: Duration::from_secs(60),
    };
    Ok(Arc::new(
        PgStore::connect(&db.database_url, options).context("invalid database URL")?,
    ))
}

/// `thunderphone migrate`: applies pending migrations and exits.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn migrate(db: &DatabaseArgs) -> anyhow::Result<()> {
    store(db)?
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
    let ports = Ports {
        numbers: store.clone(),
        keyed: store.clone(),
        agents: store.clone(),
        connections: store.clone(),
        tenancy: store.clone(),
        health: store.clone(),
        jobs: store.clone(),
        idempotency: store,
        provider: Arc::new(DemoProvider::new(Duration::ZERO)),
        verifier: Arc::new(UnsupportedVerifier),
        clock: Arc::new(SystemClock),
        vault: Arc::new(AesGcmVault::new(ring)),
    };
    Ok(App::new(ports, Settings::default()))
}

fn id<T>(
    what: &str,
    raw: i64,
    make: impl Fn(i64) -> Result<T, thunderphone_domain::IdError>,
) -> anyhow::Result<T> {
    make(raw).map_err(|_| anyhow::anyhow!("{what} must be a positive id, not {raw}"))
}

/// Runs one admin command and returns the JSON line to print.
///
/// # Errors
/// One clear line: invalid input, a missing record, or an unreachable
/// database.
pub async fn run(db: &DatabaseArgs, command: AdminCommand) -> anyhow::Result<String> {
    let store = store(db)?;
    store
        .run_migrations()
        .await
        .context("the database is not reachable or not migratable")?;
    let app = app(store, db)?;
    let out = match command {
        AdminCommand::CreateOrg { name } => {
            let name = DisplayName::parse(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let org = app.create_org(name).await.map_err(explain)?;
            format!(
                r#"{{"id":{},"name":{:?},"created_at":"{}"}}"#,
                org.id,
                org.name.as_str(),
                org.created_at.to_rfc3339()
            )
        }
        AdminCommand::CreateUser { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let user = app.create_user(email).await.map_err(explain)?;
            format!(
                r#"{{"id":{},"email":{:?},"created_at":"{}"}}"#,
                user.id,
                user.email.as_str(),
                user.created_at.to_rfc3339()
            )
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
            format!(
                r#"{{"org_id":{},"user_id":{},"role":"{}"}}"#,
                m.org_id, m.user_id, m.role
            )
        }
        AdminCommand::CreateKey { user, org } => {
            let issued = app
                .create_api_key(
                    id("--user", user, UserId::new)?,
                    id("--org", org, OrgId::new)?,
                )
                .await
                .map_err(explain)?;
            format!(
                r#"{{"id":{},"user_id":{},"org_id":{},"key":"{}"}}"#,
                issued.record.id, issued.record.user_id, issued.record.org_id, issued.key
            )
        }
        AdminCommand::RevokeKey { id: key } => {
            app.revoke_api_key(id("--id", key, ApiKeyId::new)?)
                .await
                .map_err(explain)?;
            format!(r#"{{"revoked":{key}}}"#)
        }
        AdminCommand::RotateSecrets => {
            let rotated = app.rotate_secrets().await.map_err(explain)?;
            format!(
                r#"{{"resealed":{},"skipped":{}}}"#,
                rotated.resealed, rotated.skipped
            )
        }
    };
    Ok(out)
}

/// Turns an application error into one line for the terminal.
fn explain(error: AppError) -> anyhow::Error {
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
