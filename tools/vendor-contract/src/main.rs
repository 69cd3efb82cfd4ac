//! Drives every carrier client through its full request sequence against
//! Prism mocks of the vendors' own OpenAPI specs, and fails if Prism
//! rejects any request (a 4xx, or a violation in `sl-violations`) or if an
//! expected request was never sent. `tools/vendor-contract-check` starts
//! the mocks and runs this:
//!
//! ```text
//! cargo run -p thunderphone-vendor-contract -- \
//!     --twilio http://127.0.0.1:P1 --twilio-trunking http://127.0.0.1:P2 \
//!     --telnyx http://127.0.0.1:P3
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod judge;
mod proxy;

use std::process::ExitCode;
use std::time::Duration;

use judge::{canary, judge};
use proxy::{Patch, Proxy};
use thunderphone_carriers::{
    TelnyxConfig, TelnyxProvider, TelnyxVerifier, TelnyxVerifierConfig, TwilioConfig,
    TwilioProvider, TwilioVerifier, TwilioVerifierConfig,
};
use thunderphone_domain::{
    AreaCode, City, DisplayName, E164, OrgId, Secret, TwilioAccountSid, UsState, VoipConnection,
    VoipConnectionId, VoipCredentials, VoipProvider,
};
use thunderphone_ports::{NumberProvider, NumberQuery, VoipVerifier};

/// Matches the spec's `^AC[0-9a-fA-F]{32}$`.
const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The number in Twilio's IncomingPhoneNumbers example.
const TWILIO_OWNED: &str = "+18089255327";
/// The number in Telnyx's phone_numbers example.
const TELNYX_OWNED: &str = "+19705555098";
const FRESH: &str = "+14155550123";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// "area code 415", "city San Francisco, CA", …
fn describe(query: &NumberQuery) -> String {
    match query {
        NumberQuery::AreaCode(code) => format!("area code {code}"),
        NumberQuery::City { city, state } => match state {
            Some(state) => format!("city {}, {state}", city.as_str()),
            None => format!("city {}", city.as_str()),
        },
        NumberQuery::State(state) => format!("state {state}"),
        NumberQuery::Any => "any number".to_owned(),
    }
}

fn e164(s: &str) -> Result<E164, String> {
    E164::parse(s).map_err(|e| format!("{s}: {e}"))
}

fn connection(provider: VoipProvider) -> Result<VoipConnection, String> {
    Ok(VoipConnection {
        id: VoipConnectionId::new(1).map_err(|e| e.to_string())?,
        org_id: OrgId::new(1).map_err(|e| e.to_string())?,
        name: DisplayName::parse("contract").map_err(|e| e.to_string())?,
        provider,
        termination_uri: None,
        created_at: chrono::Utc::now(),
    })
}

/// Notes the outcome of one step; a provider error fails the run.
fn step<T: std::fmt::Debug, E: std::fmt::Display>(
    failures: &mut Vec<String>,
    what: &str,
    result: Result<T, E>,
) {
    match result {
        Ok(value) => println!("  ok    {what}: {value:?}"),
        Err(e) => {
            println!("  FAIL  {what}: {e}");
            failures.push(format!("{what}: {e}"));
        }
    }
}

async fn twilio(api: &Proxy, trunking: &Proxy, failures: &mut Vec<String>) -> Result<(), String> {
    println!("twilio provider");
    let mut config = TwilioConfig::new(
        SID,
        Secret::new("contract-token"),
        "https://voice.thunderphone.test/twilio/inbound",
    );
    config.base_url = api.url.clone();
    let provider = TwilioProvider::new(config).map_err(|e| e.to_string())?;
    let area = AreaCode::parse("415").map_err(|e| e.to_string())?;
    let city = City::parse("San Francisco").map_err(|e| e.to_string())?;
    let state = UsState::parse("CA").map_err(|e| e.to_string())?;
    for query in [
        NumberQuery::AreaCode(area),
        NumberQuery::City {
            city,
            state: Some(state),
        },
        NumberQuery::State(state),
        NumberQuery::Any,
    ] {
        step(
            failures,
            &format!("search {}", describe(&query)),
            provider.search(&query, 5).await,
        );
    }
    step(
        failures,
        "activate (buys)",
        provider.activate(&e164(FRESH)?).await,
    );
    step(
        failures,
        "activate (already ours)",
        provider.activate(&e164(TWILIO_OWNED)?).await,
    );
    step(
        failures,
        "release",
        provider.release(&e164(TWILIO_OWNED)?).await,
    );

    println!("twilio verifier");
    let mut config = TwilioVerifierConfig::new("https://voice.thunderphone.test/twilio/inbound");
    config.api_base_url = api.url.clone();
    config.trunking_base_url = trunking.url.clone();
    let verifier = TwilioVerifier::new(config).map_err(|e| e.to_string())?;
    let creds = VoipCredentials::Twilio {
        account_sid: TwilioAccountSid::parse(SID).map_err(|e| e.to_string())?,
        auth_token: Secret::new("contract-token"),
    };
    let checks = verifier
        .verify(
            &connection(VoipProvider::Twilio)?,
            &creds,
            &e164(TWILIO_OWNED)?,
        )
        .await;
    for c in checks {
        println!("  check {} passed={} {}", c.name, c.passed, c.detail);
    }
    Ok(())
}

async fn telnyx(api: &Proxy, failures: &mut Vec<String>) -> Result<(), String> {
    println!("telnyx provider");
    let mut config = TelnyxConfig::new(
        Secret::new("contract-key"),
        Some("1293384261075731499".into()),
    );
    config.base_url = api.url.clone();
    config.order_poll_interval = Duration::from_millis(50);
    let provider = TelnyxProvider::new(config).map_err(|e| e.to_string())?;
    let area = AreaCode::parse("970").map_err(|e| e.to_string())?;
    let city = City::parse("Denver").map_err(|e| e.to_string())?;
    let state = UsState::parse("CO").map_err(|e| e.to_string())?;
    for query in [
        NumberQuery::AreaCode(area),
        NumberQuery::City {
            city,
            state: Some(state),
        },
        NumberQuery::State(state),
        NumberQuery::Any,
    ] {
        step(
            failures,
            &format!("search {}", describe(&query)),
            provider.search(&query, 5).await,
        );
    }
    let activation =
        tokio::time::timeout(Duration::from_secs(10), provider.activate(&e164(FRESH)?)).await;
    step(
        failures,
        "activate (orders)",
        activation
            .map_err(|_| "order still pending after 10 s".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string())),
    );
    step(
        failures,
        "activate (already ours)",
        provider.activate(&e164(TELNYX_OWNED)?).await,
    );
    step(
        failures,
        "release",
        provider.release(&e164(TELNYX_OWNED)?).await,
    );

    println!("telnyx verifier");
    let verifier = TelnyxVerifier::new(TelnyxVerifierConfig {
        base_url: api.url.clone(),
        ..TelnyxVerifierConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let creds = VoipCredentials::Telnyx {
        api_key: Secret::new("contract-key"),
    };
    let checks = verifier
        .verify(
            &connection(VoipProvider::Telnyx)?,
            &creds,
            &e164(TELNYX_OWNED)?,
        )
        .await;
    for c in checks {
        println!("  check {} passed={} {}", c.name, c.passed, c.detail);
    }
    Ok(())
}

async fn run() -> Result<Vec<String>, String> {
    let (Some(twilio_url), Some(trunking_url), Some(telnyx_url)) =
        (arg("--twilio"), arg("--twilio-trunking"), arg("--telnyx"))
    else {
        return Err(
            "usage: vendor-contract --twilio URL --twilio-trunking URL --telnyx URL".into(),
        );
    };
    let io = |e: std::io::Error| e.to_string();
    // Twilio's example number has no trunk; give it one so the verifier
    // also walks the trunking API.
    let twilio_api = proxy::start(
        twilio_url,
        vec![Patch {
            method: "GET",
            path_suffix: "/IncomingPhoneNumbers.json",
            from: "\"trunk_sid\":null",
            to: "\"trunk_sid\":\"TKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        }],
    )
    .await
    .map_err(io)?;
    let trunking = proxy::start(trunking_url, Vec::new()).await.map_err(io)?;
    // Telnyx's examples are a pending order forever and a connection with a
    // top-level profile; steer the client through order creation, order
    // success and the typed-connection lookup instead.
    let telnyx_api = proxy::start(
        telnyx_url,
        vec![
            Patch {
                method: "GET",
                path_suffix: "/number_orders",
                from: "",
                to: "{\"data\":[]}",
            },
            Patch {
                method: "GET",
                path_suffix: "/number_orders/12ade33a-21c0-473b-b055-b3c836e1c292",
                from: "\"status\":\"pending\"",
                to: "\"status\":\"success\"",
            },
            Patch {
                method: "GET",
                path_suffix: "/connections/1293384261075731499",
                from: "\"outbound_voice_profile_id\":\"1293384261075731499\",",
                to: "",
            },
        ],
    )
    .await
    .map_err(io)?;
    let mut failures = Vec::new();
    twilio(&twilio_api, &trunking, &mut failures).await?;
    telnyx(&telnyx_api, &mut failures).await?;
    failures.extend(judge(&[
        ("twilio", &twilio_api),
        ("trunking", &trunking),
        ("telnyx", &telnyx_api),
    ]));
    let client = reqwest::Client::new();
    let bad_query = client
        .get(format!(
            "{}/2010-04-01/Accounts/{SID}/AvailablePhoneNumbers/US/Local.json?PageSize=0",
            twilio_api.url
        ))
        .basic_auth(SID, Some("contract-token"));
    let bad_body = client
        .post(format!("{}/number_orders", telnyx_api.url))
        .bearer_auth("contract-key")
        .json(&serde_json::json!({ "phone_numbers": [{ "number": FRESH }] }));
    failures.extend(canary("twilio", &twilio_api, bad_query).await);
    failures.extend(canary("telnyx", &telnyx_api, bad_body).await);
    Ok(failures)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(failures) if failures.is_empty() => {
            println!("vendor contract: every request accepted");
            ExitCode::SUCCESS
        }
        Ok(failures) => {
            println!("vendor contract: {} problem(s)", failures.len());
            for f in failures {
                println!("  - {f}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("vendor-contract: {e}");
            ExitCode::from(2)
        }
    }
}
