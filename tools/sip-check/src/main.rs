//! Runs the SIP verifier against a real SIP peer and checks the outcome.
//!
//! ```text
//! SIP_CHECK_PASSWORD=secret cargo run -p thunderphone-sip-check -- \
//!     --expect digest --user alice --timeout-ms 2000 sip:127.0.0.1:5070
//! ```
//!
//! `--expect` is one of `verified` (OPTIONS answered 2xx without a
//! challenge), `digest` (2xx after a digest challenge), `forbidden` (403,
//! allowlist detail), `rejected` (digest credentials refused: 401/407 again,
//! or 403 after the digest) or `timeout`
//! (no answer). Exits 0 when the outcome matches, 1 when it does not, 2 on
//! bad arguments. The password comes from `SIP_CHECK_PASSWORD`, so it never
//! appears in a process list.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use thunderphone_carriers::{SipVerifier, SipVerifierConfig};
use thunderphone_domain::{
    DisplayName, E164, OrgId, SipPassword, SipUri, SipUsername, VoipConnection, VoipConnectionId,
    VoipCredentials, VoipProvider,
};
use thunderphone_outbound::{AllowList, DnsGate, GateConfig};
use thunderphone_ports::{CheckOutcome, VoipVerifier};

struct Args {
    uri: String,
    expect: String,
    user: Option<String>,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut uri = None;
    let mut expect = None;
    let mut user = None;
    let mut timeout = Duration::from_secs(3);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--expect" => expect = args.next(),
            "--user" => user = args.next(),
            "--timeout-ms" => {
                let ms = args.next().and_then(|v| v.parse::<u64>().ok());
                timeout = Duration::from_millis(ms.ok_or("--timeout-ms takes a number")?);
            }
            other if other.starts_with("sip") => uri = Some(other.to_owned()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        uri: uri.ok_or("give a sip: URI")?,
        expect: expect.ok_or("give --expect")?,
        user,
        timeout,
    })
}

/// Whether `checks` show the expected outcome.
fn matches(expect: &str, checks: &[CheckOutcome]) -> Result<bool, String> {
    let find = |name: &str| checks.iter().find(|c| c.name == name);
    let (Some(credentials), Some(outbound)) = (find("credentials"), find("outbound_trunking"))
    else {
        return Ok(false);
    };
    let all_passed = checks.iter().all(|c| c.passed);
    Ok(match expect {
        "verified" => all_passed && !credentials.detail.contains("digest"),
        "digest" => {
            all_passed
                && credentials
                    .detail
                    .contains("accepted the digest credentials")
        }
        "forbidden" => {
            !outbound.passed
                && outbound.detail.contains("403")
                && outbound.detail.contains("allowlist")
        }
        "rejected" => {
            !credentials.passed
                && (credentials.detail.contains("rejected the digest")
                    || credentials.detail.contains("refused the digest"))
        }
        "timeout" => !outbound.passed && outbound.detail.contains("timed out after"),
        other => return Err(format!("unknown expectation {other:?}")),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("sip-check: {e}");
            return ExitCode::from(2);
        }
    };
    let (Ok(uri), Ok(id), Ok(org), Ok(name), Ok(number)) = (
        SipUri::parse(&args.uri),
        VoipConnectionId::new(1),
        OrgId::new(1),
        DisplayName::parse("sip-check"),
        E164::parse("+14155550123"),
    ) else {
        eprintln!("sip-check: {} is not a SIP URI", args.uri);
        return ExitCode::from(2);
    };
    let connection = VoipConnection {
        id,
        org_id: org,
        name,
        provider: VoipProvider::Sip,
        termination_uri: Some(uri),
        created_at: chrono::Utc::now(),
    };
    let username = args.user.as_deref().map(SipUsername::parse).transpose();
    // Unset or empty: no password (the trunk allows by address).
    let password = std::env::var("SIP_CHECK_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .as_deref()
        .map(SipPassword::parse)
        .transpose();
    let (Ok(username), Ok(password)) = (username, password) else {
        eprintln!("sip-check: the username or password holds characters SIP does not allow");
        return ExitCode::from(2);
    };
    let credentials = VoipCredentials::Sip { username, password };
    // SIPp listens on loopback, which the outbound gate refuses unless
    // allowed: this check allows it.
    let Ok(allow) = "127.0.0.0/8".parse::<AllowList>() else {
        eprintln!("sip-check: the loopback allow list does not parse");
        return ExitCode::from(2);
    };
    let gate = DnsGate::new(GateConfig {
        allow,
        ..GateConfig::default()
    });
    let verifier = SipVerifier::new(
        SipVerifierConfig {
            options_timeout: args.timeout,
            public_address: Some("127.0.0.1".into()),
        },
        Arc::new(gate),
    );
    let checks = verifier.verify(&connection, &credentials, &number).await;
    for check in &checks {
        let mark = if check.passed { "pass" } else { "FAIL" };
        println!("  {mark} {:<18} {}", check.name, check.detail);
    }
    match matches(&args.expect, &checks) {
        Ok(true) => {
            println!("ok: {} -> {}", args.uri, args.expect);
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("UNEXPECTED: {} did not give {}", args.uri, args.expect);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("sip-check: {e}");
            ExitCode::from(2)
        }
    }
}
