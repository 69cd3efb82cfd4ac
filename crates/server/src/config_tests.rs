use clap::Parser;

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

fn parse(args: &[&str]) -> Config {
    let mut argv = vec!["thunderphone"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv) {
        Ok(cli) => cli.config,
        Err(error) => panic!("parses: {error}"),
    }
}

/// Nesting the settings by concern changed no flag and no variable.
#[test]
fn every_flag_and_environment_variable_is_as_before() {
    let command = Config::augment_args(clap::Command::new("thunderphone"));
    let mut names: Vec<(String, String)> = command
        .get_arguments()
        .map(|arg| {
            let long = arg.get_long().unwrap_or_default().to_owned();
            let env = arg
                .get_env()
                .map(|env| env.to_string_lossy().into_owned())
                .unwrap_or_default();
            (long, env)
        })
        .collect();
    names.sort();
    let mut expected: Vec<(String, String)> = [
        (
            "activation-attempt-timeout-ms",
            "THUNDERPHONE_ACTIVATION_ATTEMPT_TIMEOUT_MS",
        ),
        (
            "activation-max-attempts",
            "THUNDERPHONE_ACTIVATION_MAX_ATTEMPTS",
        ),
        ("admin-token", "THUNDERPHONE_ADMIN_TOKEN"),
        (
            "auth-failures-per-min",
            "THUNDERPHONE_AUTH_FAILURES_PER_MIN",
        ),
        ("bind", "THUNDERPHONE_BIND"),
        ("body-timeout-ms", "THUNDERPHONE_BODY_TIMEOUT_MS"),
        ("database-url", "DATABASE_URL"),
        (
            "db-connect-timeout-ms",
            "THUNDERPHONE_DB_CONNECT_TIMEOUT_MS",
        ),
        ("db-pool-size", "THUNDERPHONE_DB_POOL_SIZE"),
        (
            "db-statement-timeout-ms",
            "THUNDERPHONE_DB_STATEMENT_TIMEOUT_MS",
        ),
        ("demo-activation-ms", "THUNDERPHONE_DEMO_ACTIVATION_MS"),
        ("dns-servers", "THUNDERPHONE_DNS_SERVERS"),
        (
            "idempotency-purge-batch",
            "THUNDERPHONE_IDEMPOTENCY_PURGE_BATCH",
        ),
        (
            "idempotency-purge-interval-secs",
            "THUNDERPHONE_IDEMPOTENCY_PURGE_INTERVAL_SECS",
        ),
        ("inbound-sip-host", "THUNDERPHONE_INBOUND_SIP_HOST"),
        ("inbound-voice-url", "THUNDERPHONE_INBOUND_VOICE_URL"),
        ("log-format", "THUNDERPHONE_LOG_FORMAT"),
        ("migrate", "THUNDERPHONE_MIGRATE"),
        ("outbound-allow", "THUNDERPHONE_OUTBOUND_ALLOW"),
        ("outbound-concurrency", "THUNDERPHONE_OUTBOUND_CONCURRENCY"),
        (
            "webhook-retry-schedule",
            "THUNDERPHONE_WEBHOOK_RETRY_SCHEDULE",
        ),
        (
            "event-purge-interval-secs",
            "THUNDERPHONE_EVENT_PURGE_INTERVAL_SECS",
        ),
        ("provider", "THUNDERPHONE_PROVIDER"),
        ("rate-limit-burst", "THUNDERPHONE_RATE_LIMIT_BURST"),
        ("rate-limit-per-sec", "THUNDERPHONE_RATE_LIMIT_PER_SEC"),
        ("redis-prefix", "THUNDERPHONE_REDIS_PREFIX"),
        ("redis-timeout-ms", "THUNDERPHONE_REDIS_TIMEOUT_MS"),
        ("redis-url", "THUNDERPHONE_REDIS_URL"),
        ("secret-key", "THUNDERPHONE_SECRET_KEY"),
        (
            "shutdown-timeout-secs",
            "THUNDERPHONE_SHUTDOWN_TIMEOUT_SECS",
        ),
        (
            "sip-options-timeout-ms",
            "THUNDERPHONE_SIP_OPTIONS_TIMEOUT_MS",
        ),
        ("sip-public-address", "THUNDERPHONE_SIP_PUBLIC_ADDRESS"),
        ("telnyx-api-key", "THUNDERPHONE_TELNYX_API_KEY"),
        ("telnyx-api-url", "THUNDERPHONE_TELNYX_API_URL"),
        ("telnyx-connection-id", "THUNDERPHONE_TELNYX_CONNECTION_ID"),
        ("trusted-proxies", "THUNDERPHONE_TRUSTED_PROXIES"),
        ("twilio-account-sid", "THUNDERPHONE_TWILIO_ACCOUNT_SID"),
        ("twilio-api-url", "THUNDERPHONE_TWILIO_API_URL"),
        ("twilio-auth-token", "THUNDERPHONE_TWILIO_AUTH_TOKEN"),
        ("twilio-trunking-url", "THUNDERPHONE_TWILIO_TRUNKING_URL"),
        ("verify-timeout-secs", "THUNDERPHONE_VERIFY_TIMEOUT_SECS"),
        ("workers", "THUNDERPHONE_WORKERS"),
    ]
    .into_iter()
    .map(|(long, env)| (long.to_owned(), env.to_owned()))
    .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn test_configs_are_the_declared_defaults_with_a_few_overrides() {
    let (Ok(defaults), tests) = (Config::defaults(), Config::for_tests()) else {
        panic!("the defaults parse")
    };
    assert_eq!(defaults.http.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(defaults.database.pool_size, 16);
    assert_eq!(defaults.limits.auth_failures_per_min, 30);
    assert_eq!(defaults.limits.redis_prefix, "thunderphone:");
    assert_eq!(defaults.carriers.sip_options_timeout_ms, 3000);
    assert_eq!(defaults.outbound.concurrency, 64);
    assert_eq!(tests.http.bind.port(), 0);
    assert_eq!(tests.database.pool_size, 8);
    let (mut defaults, mut tests) = (format!("{defaults:?}"), format!("{tests:?}"));
    for (from, to) in [
        ("bind: 127.0.0.1:8080", "bind: 127.0.0.1:0"),
        ("workers: 0", "workers: 2"),
        ("shutdown_timeout_secs: 30", "shutdown_timeout_secs: 10"),
        ("pool_size: 16", "pool_size: 8"),
    ] {
        assert!(defaults.contains(from), "{defaults}");
        defaults = defaults.replacen(from, to, 1);
    }
    tests.retain(|c| c != ' ');
    defaults.retain(|c| c != ' ');
    assert_eq!(tests, defaults, "nothing else differs");
}

#[test]
fn admission_options_parse() {
    let config = parse(&["--trusted-proxies", "10.0.0.0/8, 192.168.1.1"]);
    assert_eq!(config.http.trusted_proxies.len(), 2);
    assert!(
        Cli::try_parse_from(["thunderphone", "--trusted-proxies", "proxy.local"]).is_err(),
        "a proxy must be an address or a CIDR"
    );
}

#[test]
fn debug_of_a_config_with_every_secret_set_prints_none_of_them() {
    let config = parse(&[
        "--database-url",
        "postgres://app:pg-pw-1@db.internal/numbers",
        "--redis-url",
        "redis://:redis-pw-2@redis.internal:6379/0",
        "--secret-key",
        "k1:c2VjcmV0LWtleS0z",
        "--admin-token",
        "admin-token-4",
        "--twilio-auth-token",
        "twilio-token-5",
        "--telnyx-api-key",
        "telnyx-key-6",
    ]);
    assert_eq!(
        config.database.url.as_ref().map(Secret::expose),
        Some("postgres://app:pg-pw-1@db.internal/numbers"),
        "the value is kept"
    );
    let printed = format!("{config:?}");
    for secret in [
        "pg-pw-1",
        "redis-pw-2",
        "c2VjcmV0LWtleS0z",
        "admin-token-4",
        "twilio-token-5",
        "telnyx-key-6",
    ] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert_eq!(printed.matches("Some([redacted])").count(), 6, "{printed}");
}
