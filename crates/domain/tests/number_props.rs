//! Property tests of the value types that parse untrusted input: phone
//! numbers, area codes, states, cities, names, e-mails and SIP URIs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use thunderphone_domain::{AreaCode, City, DisplayName, E164, Email, SipUri, UsState};

/// `^\+[1-9]\d{1,14}$`, without a regex engine.
fn is_e164_shape(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `^[2-9]\d\d$`.
fn is_area_code_shape(s: &str) -> bool {
    matches!(s.as_bytes(), [b'2'..=b'9', b'0'..=b'9', b'0'..=b'9'])
}

/// Strings that look a bit like phone numbers: digits, separators, `+`,
/// letters, unicode digits and whitespace.
fn phoneish() -> impl Strategy<Value = String> {
    "[0-9+()\\-. a-zA-Z０-９\u{00a0}\u{0660}-\u{0669}xX#*]{0,40}"
}

/// Anything: arbitrary unicode (control characters included), short or
/// far longer than any valid value.
fn anything() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => phoneish(),
        1 => "\\PC{0,3000}",
        1 => prop::collection::vec(any::<char>(), 200..2000).prop_map(|c| c.into_iter().collect()),
    ]
}

/// Area codes of large US cities: all are valid NANP geographic codes.
const AREA_CODES: &[&str] = &[
    "201", "202", "206", "212", "213", "214", "303", "305", "312", "404", "415", "503", "512",
    "617", "702", "713", "718", "801", "808", "907",
];

/// A valid US number as ten digits: a real area code, an exchange that is
/// not `N11`, and any line.
fn us_digits() -> impl Strategy<Value = String> {
    (
        prop::sample::select(AREA_CODES),
        "[2-9][0-9][0-9]",
        "[0-9]{4}",
    )
        .prop_filter("N11 exchanges are service codes", |(_, exchange, _)| {
            !exchange.ends_with("11")
        })
        .prop_map(|(npa, exchange, line)| format!("{npa}{exchange}{line}"))
}

/// A separator a person might type between digits.
fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "-", ".", "  ", " - "])
}

/// `digits` as a person might have written it: country code or not,
/// parentheses around the area code or not, separators anywhere.
fn noisy(digits: String) -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "", "+1", "+1 ", "1 ", "1-", "+1-", "1", "+1 ("]),
        any::<bool>(),
        prop::collection::vec(separator(), 10),
        prop::sample::select(vec!["", " ", "  ", "\t", "\n"]),
        prop::sample::select(vec!["", " ", "  ", "\t", "\n"]),
    )
        .prop_map(move |(prefix, parens, seps, lead, trail)| {
            let d: Vec<char> = digits.chars().collect();
            let mut out = String::from(lead);
            out.push_str(prefix);
            // "+1 (" opens the parenthesis itself.
            let parens = parens || prefix.ends_with('(');
            if parens && !prefix.ends_with('(') {
                out.push('(');
            }
            for (i, c) in d.iter().enumerate() {
                out.push(*c);
                if i == 2 && parens {
                    out.push(')');
                    out.push_str(if seps[i].is_empty() { " " } else { seps[i] });
                } else if i + 1 < d.len() && !(parens && i < 2) {
                    out.push_str(seps[i]);
                }
            }
            out.push_str(trail);
            out
        })
}

/// True for the shape the `phonenumber` crate (0.3.10) misreads: no
/// whitespace, a leading `+` and a `-` or `.` that is not right after the
/// country code (`+1617-519-5298`, `+1617519.52.98`). The crate takes it for
/// an RFC 3966 `tel:` number and reads everything before the first
/// separator as the country code (`1617`), so the number is refused. See
/// [`known_bug_rfc3966_shaped_numbers_are_refused`].
fn misread_as_rfc3966(written: &str) -> bool {
    let s = written.trim();
    let Some(rest) = s.strip_prefix('+') else {
        return false;
    };
    if s.chars().any(char::is_whitespace) || s.contains('(') || s.contains(')') {
        return false;
    }
    match rest.find(['-', '.']) {
        Some(at) => &rest[..at] != "1",
        None => false,
    }
}

/// Regression: these common ways of writing a number were refused because
/// of the `phonenumber` crate's RFC 3966 reading (see
/// [`misread_as_rfc3966`]); `E164::parse` drops the visual separators of a
/// `+`-prefixed number first.
#[test]
fn rfc3966_shaped_numbers_are_accepted() {
    for written in [
        "+1617-519-5298",
        "+1617519-5298",
        "+1617.519.5298",
        "+4420-7946-0958",
    ] {
        assert!(misread_as_rfc3966(written));
        assert!(
            E164::parse(written).is_ok(),
            "{written:?} is a valid number"
        );
    }
}

proptest! {
    #[test]
    fn e164_never_panics_and_only_returns_e164(input in anything()) {
        if let Ok(n) = E164::parse(&input) {
            prop_assert!(is_e164_shape(n.as_str()), "{:?} → {:?}", input, n.as_str());
            prop_assert_eq!(E164::parse(n.as_str()), Ok(n.clone()), "parse is idempotent");
            prop_assert_eq!(E164::from_canonical(n.as_str()), Ok(n.clone()), "stored numbers read back");
            prop_assert_eq!(n.to_string(), n.as_str());
        }
    }

    #[test]
    fn e164_parse_is_idempotent_on_its_output(input in phoneish()) {
        if let Ok(n) = E164::parse(&input) {
            prop_assert!(is_e164_shape(n.as_str()));
            let again = E164::parse(n.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&n));
            if let Some(area) = n.area_code() {
                prop_assert!(n.as_str().starts_with("+1"));
                prop_assert_eq!(&n.as_str()[2..5], area.as_str());
            }
        }
    }

    #[test]
    fn e164_normalises_formatting_noise(
        (digits, written) in us_digits().prop_flat_map(|d| (Just(d.clone()), noisy(d)))
    ) {
        let canonical = E164::parse(&digits);
        let expected = format!("+1{digits}");
        prop_assert_eq!(
            canonical.as_ref().map(E164::as_str),
            Ok(expected.as_str()),
            "a plain 10-digit US number is read as +1"
        );
        prop_assert_eq!(E164::parse(&written), canonical, "{:?}", written);
    }

    #[test]
    fn area_code_accepts_exactly_three_digits_first_2_to_9(input in prop_oneof![
        "[0-9]{3}",
        "[0-9a-z ０-９+-]{0,4}",
        any::<String>(),
    ]) {
        let parsed = AreaCode::parse(&input);
        prop_assert_eq!(parsed.is_ok(), is_area_code_shape(&input), "{:?}", input);
        if let Ok(ac) = parsed {
            prop_assert_eq!(ac.as_str(), input.as_str());
            prop_assert_eq!(ac.to_string(), input);
        }
    }

    #[test]
    fn every_area_code_is_accepted(input in "[2-9][0-9]{2}") {
        prop_assert_eq!(AreaCode::parse(&input).map(|a| a.as_str().to_owned()), Ok(input));
    }

    #[test]
    fn us_state_never_panics(input in prop_oneof![anything(), "[a-zA-Z]{2}"]) {
        if let Ok(state) = UsState::parse(&input) {
            prop_assert_eq!(state.as_str().len(), 2);
            prop_assert!(state.as_str().bytes().all(|b| b.is_ascii_uppercase()));
            prop_assert_eq!(state.as_str(), input.to_ascii_uppercase());
        }
    }

    #[test]
    fn city_never_panics(input in anything()) {
        if let Ok(city) = City::parse(&input) {
            let len = city.as_str().chars().count();
            prop_assert!((1..=64).contains(&len));
            prop_assert!(!city.as_str().chars().any(char::is_control));
            prop_assert_eq!(City::parse(city.as_str()), Ok(city.clone()));
            prop_assert!(city.matches(city.as_str()));
        }
    }

    #[test]
    fn display_name_never_panics(input in anything()) {
        if let Ok(name) = DisplayName::parse(&input) {
            let len = name.as_str().chars().count();
            prop_assert!((1..=DisplayName::MAX_CHARS).contains(&len));
            prop_assert!(!name.as_str().chars().any(char::is_control));
            prop_assert_eq!(DisplayName::parse(name.as_str()), Ok(name.clone()));
        }
    }

    #[test]
    fn email_never_panics(input in prop_oneof![anything(), "[a-zA-Z0-9.]{1,10}@[a-z]{1,8}\\.[a-z]{2,3}"]) {
        if let Ok(email) = Email::parse(&input) {
            prop_assert!(email.as_str().len() <= 254);
            prop_assert!(email.as_str().contains('@'));
            prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
        }
    }

    #[test]
    fn sip_uri_never_panics(input in prop_oneof![
        anything(),
        "sips?:([a-z]{1,5}@)?[a-z0-9.\\-\\[\\]:]{0,20}(:[0-9]{0,6})?(;[a-z=]{0,10})?",
    ]) {
        if let Ok(uri) = SipUri::parse(&input) {
            prop_assert!(uri.as_str().len() <= 255);
            let lower = uri.as_str().to_ascii_lowercase();
            prop_assert!(lower.starts_with("sip:") || lower.starts_with("sips:"));
            prop_assert_eq!(SipUri::parse(uri.as_str()), Ok(uri.clone()));
        }
    }
}
