//! The document's patterns accept exactly what the server's validators
//! accept, so data generated from the schema is not refused and data the
//! schema refuses is not accepted.

use regex::Regex;
use serde_json::Value;
use thunderphone_domain::{AreaCode, City, DisplayName, Email, UsState};

use super::document;

/// Characters where validators draw their lines: whitespace that is and is
/// not trimmed, control characters, separators, `@` and `.`.
const ALPHABET: &[char] = &[
    'a', 'Z', '0', '9', '2', '@', '.', ' ', '\t', '\n', '\u{0007}', '\u{007F}', '\u{0085}',
    '\u{00A0}', '\u{00E9}', '\u{1680}', '\u{2003}', '\u{200B}', '\u{2028}', '\u{3000}', '\u{FEFF}',
    'c', 'A', 'x',
];

/// A fixed pseudo-random corpus (the same on every run).
fn corpus() -> Vec<String> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out: Vec<String> = [
        "",
        " ",
        "a",
        " a ",
        "\ta\n",
        "CA",
        "ca",
        "Ca",
        "PR",
        "ZZ",
        "c a",
        "415",
        "155",
        "4155",
        "a@b.c",
        " A@B.C ",
        "a@.b",
        "a@b.",
        "a@b",
        "@b.c",
        "a@@b.c",
        "a b@c.d",
        "a@b..c",
        "San Francisco",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for length in [63, 64, 65, 99, 100, 101, 102] {
        out.push("a".repeat(length));
        out.push(format!(" {} ", "b".repeat(length)));
        out.push(format!("\u{00E9}{}", "c".repeat(length.saturating_sub(1))));
    }
    for _ in 0..20_000 {
        let length = (next() % 12) as usize;
        let s: String = (0..length)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        out.push(s);
    }
    out
}

fn pattern(doc: &Value, schema: &str, field: &str) -> Regex {
    let raw = doc["components"]["schemas"][schema]["properties"][field]["pattern"]
        .as_str()
        .unwrap_or_default();
    assert!(!raw.is_empty(), "{schema}.{field} has no pattern");
    Regex::new(raw).unwrap_or_else(|e| panic!("{schema}.{field}: {e}"))
}

fn agrees(doc: &Value, schema: &str, field: &str, valid: impl Fn(&str) -> bool) {
    let regex = pattern(doc, schema, field);
    for input in corpus() {
        assert_eq!(
            regex.is_match(&input),
            valid(&input),
            "{schema}.{field} disagrees with the server on {input:?}"
        );
    }
}

#[test]
fn request_patterns_match_the_validators() {
    let doc = document();
    for schema in [
        "AgentRequest",
        "CreateOrgRequest",
        "CreateVoipConnectionRequest",
    ] {
        agrees(&doc, schema, "name", |s| DisplayName::parse(s).is_ok());
    }
    let provision = "ProvisionPhoneNumberRequest";
    agrees(&doc, provision, "city", |s| City::parse(s).is_ok());
    agrees(&doc, provision, "state", |s| UsState::parse(s).is_ok());
    agrees(&doc, provision, "area_code", |s| AreaCode::parse(s).is_ok());
    agrees(&doc, "CreateUserRequest", "email", |s| {
        Email::parse(s).is_ok()
    });
}
