//! Judging the run: what Prism said about each request, which expected
//! requests were never sent, and a canary that proves rejections are seen.

use crate::proxy::{Exchange, Proxy};

/// Requests each client must have sent: (proxy, method, path suffix).
const EXPECTED: &[(&str, &str, &str)] = &[
    ("twilio", "GET", "/AvailablePhoneNumbers/US/Local.json"),
    ("twilio", "GET", "/IncomingPhoneNumbers.json"),
    ("twilio", "POST", "/IncomingPhoneNumbers.json"),
    (
        "twilio",
        "DELETE",
        "/IncomingPhoneNumbers/PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
    ),
    (
        "twilio",
        "GET",
        "/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
    ),
    (
        "trunking",
        "GET",
        "/v1/Trunks/TKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ),
    ("trunking", "GET", "/OriginationUrls"),
    ("trunking", "GET", "/CredentialLists"),
    ("trunking", "GET", "/IpAccessControlLists"),
    ("telnyx", "GET", "/available_phone_numbers"),
    ("telnyx", "GET", "/phone_numbers"),
    ("telnyx", "GET", "/number_orders"),
    ("telnyx", "POST", "/number_orders"),
    (
        "telnyx",
        "GET",
        "/number_orders/12ade33a-21c0-473b-b055-b3c836e1c292",
    ),
    ("telnyx", "DELETE", "/phone_numbers/1293384261075731499"),
    ("telnyx", "GET", "/connections/1293384261075731499"),
    ("telnyx", "GET", "/ip_connections/1293384261075731499"),
];

/// Prints every exchange and returns the problems: rejected requests and
/// expected requests never sent.
pub fn judge(proxies: &[(&str, &Proxy)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut all: Vec<(&str, Exchange)> = Vec::new();
    for (name, proxy) in proxies {
        for exchange in proxy.exchanges() {
            all.push((name, exchange));
        }
    }
    println!("requests as Prism judged them");
    for (name, e) in &all {
        let verdict = if e.accepted() { "accepted" } else { "REJECTED" };
        println!(
            "  {verdict:<8} {name:<8} {} {} -> {}",
            e.method, e.target, e.status
        );
        for v in &e.violations {
            println!("           {v}");
        }
        if !e.accepted() {
            problems.push(format!(
                "{name} {} {} -> {} {:?}",
                e.method, e.target, e.status, e.violations
            ));
        }
    }
    for (name, method, suffix) in EXPECTED {
        let sent = all
            .iter()
            .any(|(n, e)| n == name && e.method == *method && e.path().ends_with(suffix));
        if !sent {
            problems.push(format!("never sent: {name} {method} …{suffix}"));
        }
    }
    problems
}

/// Sends one request Prism must reject through `proxy` and checks that the
/// judge sees the rejection, so a blind check cannot pass by accident.
pub async fn canary(name: &str, proxy: &Proxy, request: reqwest::RequestBuilder) -> Option<String> {
    let before = proxy.exchanges().len();
    if let Err(e) = request.send().await {
        return Some(format!("canary through {name} not sent: {e}"));
    }
    match proxy.exchanges().get(before) {
        Some(e) if !e.accepted() => {
            println!(
                "  canary {name}: an invalid request was rejected ({}) as it must be",
                e.status
            );
            None
        }
        Some(e) => Some(format!(
            "canary through {name} was accepted ({}): the check cannot see rejections",
            e.status
        )),
        None => Some(format!("canary through {name} was not recorded")),
    }
}
