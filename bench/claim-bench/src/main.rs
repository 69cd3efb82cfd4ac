//! Pool-claim benchmark: many concurrent claimers against a fresh,
//! migrated PostgreSQL database (`thunderphone-test-db`, so the server at
//! `THUNDERPHONE_TEST_DATABASE_URL` or the local default).
//!
//! ```text
//! cargo run --release -p thunderphone-claim-bench -- \
//!     [--strategy store|old|retry|all] [--tier any|area|both] \
//!     [--claimers 32] [--claims 1000] [--pool 16] \
//!     [--burst 500 --instances 2 --timeout-ms 2000]
//! ```
//!
//! Strategies:
//! - `store`: `PgStore::claim_pool_number`, i.e. what the crate ships.
//! - `old`: the previous claim, kept here only to compare: every candidate
//!   number as an array, the first one no live number holds (`NOT
//!   EXISTS`), `INSERT … ON CONFLICT DO NOTHING`, and a new transaction
//!   after a lost race.
//! - `retry`: the `demo_pool` table with optimistic insert-and-retry: read
//!   the first free row without locking, `UPDATE … WHERE NOT held`, and a
//!   new transaction when that updated nothing.
//!
//! Tiers: `any` claims from 359 area codes (the "no preference" tier of
//! the app: 35,900 candidates); `area` claims from one area code at a time
//! (all claimers fight over the same 100 lines, then move to the next
//! code together). Each run prints claims/s, latency percentiles, lost
//! races (raw strategies only) and duplicates, which must be 0.
//!
//! `--burst N` instead fires N claims at once (the "any" tier) through
//! `--instances` stores, each with `--pool` connections and
//! `--timeout-ms` to get one, like N concurrent `POST /v1/phone-numbers`
//! on that many server instances, and counts `Unavailable` answers.

#![allow(clippy::print_stdout)]

mod strategies;

use std::collections::HashSet;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use thunderphone_domain::{AreaCode, OrgId, Timestamp};
use thunderphone_ports::{NumberRepository, RepoError, TenancyRepository};
use thunderphone_store_postgres::{PgStore, PoolOptions};
use thunderphone_test_db::TestDb;

use crate::strategies::{Raw, Strategy};

type BoxError = Box<dyn Error + Send + Sync>;

/// Command-line settings.
#[derive(Debug, Clone)]
struct Settings {
    strategies: Vec<Strategy>,
    tiers: Vec<Tier>,
    claimers: usize,
    claims: usize,
    pool: u32,
    burst: Option<usize>,
    instances: usize,
    timeout: Duration,
}

/// Which area codes a claim asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Any,
    Area,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Tier::Any => "any",
            Tier::Area => "area",
        }
    }
}

fn parse_args() -> Result<Settings, BoxError> {
    let mut settings = Settings {
        strategies: vec![Strategy::Store, Strategy::Old, Strategy::Retry],
        tiers: vec![Tier::Any, Tier::Area],
        claimers: 32,
        claims: 1_000,
        pool: 16,
        burst: None,
        instances: 2,
        timeout: Duration::from_secs(2),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--strategy" => {
                settings.strategies = match value.as_str() {
                    "store" => vec![Strategy::Store],
                    "old" => vec![Strategy::Old],
                    "retry" => vec![Strategy::Retry],
                    "all" => vec![Strategy::Store, Strategy::Old, Strategy::Retry],
                    other => return Err(format!("unknown strategy {other}").into()),
                }
            }
            "--tier" => {
                settings.tiers = match value.as_str() {
                    "any" => vec![Tier::Any],
                    "area" => vec![Tier::Area],
                    "both" => vec![Tier::Any, Tier::Area],
                    other => return Err(format!("unknown tier {other}").into()),
                }
            }
            "--claimers" => settings.claimers = value.parse()?,
            "--claims" => settings.claims = value.parse()?,
            "--pool" => settings.pool = value.parse()?,
            "--burst" => settings.burst = Some(value.parse()?),
            "--instances" => settings.instances = value.parse()?,
            "--timeout-ms" => settings.timeout = Duration::from_millis(value.parse()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(settings)
}

/// 359 area codes, as many as the app's "any" tier passes.
fn any_codes() -> Result<Vec<AreaCode>, BoxError> {
    (201..=559)
        .map(|code: u32| AreaCode::parse(&code.to_string()).map_err(Into::into))
        .collect()
}

fn now() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

/// A fresh migrated database, a store on it and an org to claim for.
async fn setup(settings: &Settings) -> Result<(TestDb, Arc<PgStore>, OrgId), BoxError> {
    let db = tokio::task::spawn_blocking(TestDb::create).await?;
    let store = PgStore::connect(db.url(), pool_options(settings))?;
    store.run_migrations().await?;
    let name = thunderphone_domain::DisplayName::parse("bench")?;
    let org = store.create_org(name, now()).await?;
    Ok((db, Arc::new(store), org.id))
}

fn pool_options(settings: &Settings) -> PoolOptions {
    PoolOptions {
        max_size: settings.pool,
        connection_timeout: settings.timeout,
        ..PoolOptions::default()
    }
}

/// What one run measured.
#[derive(Default)]
struct Outcome {
    numbers: Vec<String>,
    latencies: Vec<Duration>,
    unavailable: usize,
    other_errors: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(label: &str, outcome: &mut Outcome, elapsed: Duration, lost: Option<u64>) {
    outcome.latencies.sort();
    let unique: HashSet<&String> = outcome.numbers.iter().collect();
    let duplicates = outcome.numbers.len() - unique.len();
    let rate = outcome.numbers.len() as f64 / elapsed.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!(
        "{label:<24} claims {:>5}  {:>7.2}s  {:>7.0}/s  p50 {:>7.1}ms  p99 {:>7.1}ms  \
         max {:>7.1}ms  lost races {:>6}  unavailable {:>4}  errors {:>3}  duplicates {}",
        outcome.numbers.len(),
        elapsed.as_secs_f64(),
        rate,
        ms(percentile(&outcome.latencies, 50.0)),
        ms(percentile(&outcome.latencies, 99.0)),
        ms(outcome.latencies.last().copied().unwrap_or_default()),
        lost.map_or_else(|| "-".to_owned(), |n| n.to_string()),
        outcome.unavailable,
        outcome.other_errors,
        duplicates,
    );
}

/// `claimers` tasks claim until `claims` numbers are taken (or, for the
/// `area` tier, until the area codes are exhausted).
async fn run_claims(settings: &Settings, strategy: Strategy, tier: Tier) -> Result<(), BoxError> {
    let (db, store, org_id) = setup(settings).await?;
    let raw = Arc::new(Raw::new(db.url(), settings.pool, settings.timeout)?);
    let any = Arc::new(any_codes()?);
    let singles = Arc::new(any_codes()?[..settings.claims.div_ceil(100)].to_vec());
    if strategy == Strategy::Retry {
        raw.seed(&any).await?;
    }
    let remaining = Arc::new(AtomicUsize::new(settings.claims));
    let current_single = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..settings.claimers)
        .map(|_| {
            let (store, raw, any, singles) =
                (store.clone(), raw.clone(), any.clone(), singles.clone());
            let (remaining, current_single, lost) =
                (remaining.clone(), current_single.clone(), lost.clone());
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                while remaining
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok()
                {
                    loop {
                        let index = current_single.load(Ordering::Acquire);
                        let codes: Vec<AreaCode> = match tier {
                            Tier::Any => any.to_vec(),
                            Tier::Area => match singles.get(index) {
                                Some(code) => vec![*code],
                                None => return outcome,
                            },
                        };
                        let begun = Instant::now();
                        let claimed = match strategy {
                            Strategy::Store => store
                                .claim_pool_number(org_id, &codes, now(), None)
                                .await
                                .map(|n| n.map(|n| n.number().as_str().to_owned())),
                            Strategy::Old | Strategy::Retry => {
                                raw.claim(strategy, org_id, &codes, &lost).await
                            }
                        };
                        match claimed {
                            Ok(Some(number)) => {
                                outcome.latencies.push(begun.elapsed());
                                outcome.numbers.push(number);
                                break;
                            }
                            Ok(None) if tier == Tier::Area => {
                                // This code is full: everyone moves on.
                                let _ = current_single.compare_exchange(
                                    index,
                                    index + 1,
                                    Ordering::AcqRel,
                                    Ordering::Acquire,
                                );
                            }
                            Ok(None) => return outcome,
                            Err(RepoError::Unavailable(_)) => {
                                outcome.unavailable += 1;
                                break;
                            }
                            Err(_) => {
                                outcome.other_errors += 1;
                                break;
                            }
                        }
                    }
                }
                outcome
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        let outcome = task.await?;
        total.numbers.extend(outcome.numbers);
        total.latencies.extend(outcome.latencies);
        total.unavailable += outcome.unavailable;
        total.other_errors += outcome.other_errors;
    }
    let elapsed = started.elapsed();
    let lost = (strategy != Strategy::Store).then(|| lost.load(Ordering::Relaxed));
    report(
        &format!("{} / {}", strategy.name(), tier.name()),
        &mut total,
        elapsed,
        lost,
    );
    raw.check_consistency(strategy).await?;
    drop((store, raw));
    drop(db);
    Ok(())
}

/// `burst` claims at once through `instances` stores.
async fn run_burst(settings: &Settings, burst: usize) -> Result<(), BoxError> {
    let (db, first, org_id) = setup(settings).await?;
    let mut stores = vec![first];
    for _ in 1..settings.instances.max(1) {
        stores.push(Arc::new(PgStore::connect(
            db.url(),
            pool_options(settings),
        )?));
    }
    let codes = Arc::new(any_codes()?);
    let started = Instant::now();
    let tasks: Vec<_> = (0..burst)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let codes = codes.clone();
            tokio::spawn(async move {
                let begun = Instant::now();
                let claimed = store.claim_pool_number(org_id, &codes, now(), None).await;
                (claimed, begun.elapsed())
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        let (claimed, latency) = task.await?;
        total.latencies.push(latency);
        match claimed {
            Ok(Some(number)) => total.numbers.push(number.number().as_str().to_owned()),
            Ok(None) => total.other_errors += 1,
            Err(RepoError::Unavailable(_)) => total.unavailable += 1,
            Err(_) => total.other_errors += 1,
        }
    }
    let label = format!(
        "burst {burst} x{} pool {}",
        settings.instances, settings.pool
    );
    report(&label, &mut total, started.elapsed(), None);
    drop(stores);
    drop(db);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let settings = parse_args()?;
    println!(
        "claimers {}  claims {}  pool {}  connection timeout {:?}",
        settings.claimers, settings.claims, settings.pool, settings.timeout
    );
    if let Some(burst) = settings.burst {
        return run_burst(&settings, burst).await;
    }
    for tier in &settings.tiers {
        for strategy in &settings.strategies {
            run_claims(&settings, *strategy, *tier).await?;
        }
    }
    Ok(())
}
