//! `thunderphone`: the ThunderPhone Numbers server.

use anyhow::Context;
use clap::{Parser, Subcommand};
use thunderphone_domain::Secret;
use thunderphone_server::{Config, LogFormat, Overrides, admin, demo, start};
use tracing_subscriber::EnvFilter;

/// ThunderPhone Numbers: phone numbers for voice AI agents.
#[derive(Parser)]
#[command(name = "thunderphone", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Create a demo org, owner, two agents and an API key, and print
        /// the key with ready-to-paste commands.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        config: Box<Config>,
    },
    /// Apply pending database migrations and exit (run it before starting
    /// new versions of the server when `THUNDERPHONE_MIGRATE=false`).
    Migrate {
        #[command(flatten)]
        db: admin::MigrateArgs,
    },
    /// Operator actions (orgs, users, roles, API keys) on the database.
    Admin {
        #[command(flatten)]
        db: admin::DatabaseArgs,
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Blocking threads beyond the database pool: the pool bounds how many
/// database calls can run at once, so more blocking threads than that only
/// wait (and cost memory: tokio's default allows 512).
const SPARE_BLOCKING_THREADS: usize = 8;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let pool_size = match &cli.command {
        Command::Serve { config, .. } => config.database.pool_size as usize,
        _ => 4,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(pool_size + SPARE_BLOCKING_THREADS)
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(error) => Err(anyhow::Error::new(error).context("cannot start the async runtime")),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line, with the chain of causes (driver messages can span
            // several lines).
            let line = format!("{error:#}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("error: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate { db } => {
            init_logging(LogFormat::Text);
            admin::migrate(&db).await?;
            print_line("migrations applied");
            Ok(())
        }
        Command::Admin { db, command } => admin::run(&db, command, &mut print_line).await,
        Command::Serve { demo, mut config } => {
            init_logging(config.log_format);
            // Installed before anything else, so a signal that arrives while
            // starting up is handled too.
            let shutdown = shutdown_signal()?;
            let secrets = &mut config.secrets;
            if demo && secrets.secret_key.is_none() && config.database.url.is_none() {
                // The embedded store forgets everything at exit, so a key
                // that lives as long as the process is enough for the demo.
                secrets.secret_key = Some(Secret::new(demo::ephemeral_secret_key()?));
            }
            let generated_admin_token = if demo && secrets.admin_token.is_none() {
                // 128 bits from the OS: nothing about the process (its start
                // time, say) narrows the guess.
                let token = demo::admin_token()?;
                secrets.admin_token = Some(Secret::new(token.clone()));
                Some(token)
            } else {
                None
            };
            let running = start(&config, Overrides::default()).await?;
            if demo {
                let tenant = match demo::seed(&running.app).await {
                    Ok(tenant) => tenant,
                    Err(error) => {
                        running.stop().await;
                        return Err(error.context("cannot create the demo tenant"));
                    }
                };
                let banner = demo::Banner {
                    addr: running.addr.to_string(),
                    tenant: &tenant,
                    generated_admin_token: generated_admin_token.as_deref(),
                    persistent: config.database.url.is_some(),
                    secret_key_set: config.secrets.secret_key.is_some(),
                };
                print_line(&banner.render()?);
            }
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            running.stop().await;
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Writes the program's output to stdout. A closed stdout (the reader went
/// away) is not worth crashing a running server over, so errors are ignored.
fn print_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
