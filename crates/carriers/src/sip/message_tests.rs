//! Parser tests: well-formed answers, a table of malformed ones, and a
//! deterministic mutation run that feeds thousands of damaged messages
//! through the parser to show it never panics.

use std::net::{Ipv4Addr, SocketAddrV4};

use thunderphone_domain::{SipPassword, SipUri};

use super::*;
use crate::sip::digest::{self, AuthHeader};
use crate::sip::uri::parse_target;

const OK: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKabc;rport=5999\r\n\
From: <sip:thunderphone@pbx>;tag=f1\r\n\
To: <sip:pbx>;tag=t1\r\n\
Call-ID: c1@thunderphone\r\n\
CSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

fn exchange() -> Exchange {
    Exchange {
        call_id: "c1@thunderphone".into(),
        from_tag: "f1".into(),
    }
}

fn parsed(text: &str) -> Response {
    match parse_response(text.as_bytes()) {
        Ok((r, _)) => r,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

#[test]
fn a_plain_200() {
    let (r, used) = match parse_response(OK.as_bytes()) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!((r.code, r.reason.as_str(), used), (200, "OK", OK.len()));
    assert!(r.answers(&exchange(), 1, "z9hG4bKabc"));
    assert!(!r.answers(&exchange(), 2, "z9hG4bKabc"));
    assert!(!r.answers(&exchange(), 1, "z9hG4bKother"));
    let other_call = Exchange {
        call_id: "x".into(),
        from_tag: "f1".into(),
    };
    assert!(!r.answers(&other_call, 1, "z9hG4bKabc"));
}

#[test]
fn compact_folded_and_bare_lf_headers() {
    let text = "SIP/2.0 401 Unauthorized\n\
i: c1@thunderphone\n\
v: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKabc\n\
CSeq: 1 options\n\
WWW-Authenticate: Digest realm=\"r\",\n\t nonce=\"n\"\n\
l: 0\n\n";
    let r = parsed(text);
    assert_eq!(r.code, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Digest realm=\"r\", nonce=\"n\"")
    );
    assert!(r.answers(&exchange(), 1, "z9hG4bKabc"));
}

#[test]
fn bodies_and_framing() {
    let two = format!(
        "{}SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n",
        OK.replace("Content-Length: 0", "Content-Length: 4")
            .replace("\r\n\r\n", "\r\n\r\nbody")
    );
    let (first, used) = match parse_response(two.as_bytes()) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(first.code, 200);
    let (second, _) = match parse_response(&two.as_bytes()[used..]) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(second.code, 100);
    // Headers complete but body missing: wait for more bytes.
    let short = OK.replace("Content-Length: 0", "Content-Length: 10");
    assert_eq!(
        parse_response(short.as_bytes()).err(),
        Some(ParseError::Incomplete)
    );
    // No Content-Length (UDP): the datagram's rest is the body.
    let bare = "SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\nxyz";
    assert_eq!(
        parse_response(bare.as_bytes()).map(|(_, n)| n),
        Ok(bare.len())
    );
}

#[test]
fn malformed_answers_are_errors() {
    let table: &[(&[u8], &str)] = &[
        (b"", "incomplete"),
        (b"SIP/2.0 200 OK\r\n", "incomplete"),
        (b"\r\n\r\n", "status"),
        (b"HTTP/1.1 200 OK\r\n\r\n", "status"),
        (b"SIP/2.0 20 OK\r\n\r\n", "status"),
        (b"SIP/2.0 2000 OK\r\n\r\n", "status"),
        (b"SIP/2.0 099 Low\r\n\r\n", "status"),
        (b"SIP/2.0 700 High\r\n\r\n", "status"),
        (b"SIP/2.0 +20 OK\r\n\r\n", "status"),
        (b"SIP/2.0\r\n\r\n", "status"),
        (b"SIP/2.0 200 OK\r\nno colon here\r\n\r\n", "header"),
        (b"SIP/2.0 200 OK\r\n: empty name\r\n\r\n", "header"),
        (b"SIP/2.0 200 OK\r\nBad Name: x\r\n\r\n", "header"),
        (b"SIP/2.0 200 OK\r\n continuation first\r\n\r\n", "header"),
        (b"SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n", "length"),
        (
            b"SIP/2.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            "length",
        ),
        (b"SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n", "length"),
        (b"SIP/2.0 200 \xff\xfe\r\n\r\n", "utf8"),
    ];
    for (input, kind) in table {
        let got = parse_response(input);
        let ok = matches!(
            (&got, *kind),
            (Err(ParseError::Incomplete), "incomplete")
                | (Err(ParseError::BadStatusLine), "status")
                | (Err(ParseError::BadHeader(_)), "header")
                | (Err(ParseError::BadContentLength), "length")
                | (Err(ParseError::NotUtf8), "utf8")
        );
        assert!(
            ok,
            "{:?}: expected {kind}, got {got:?}",
            String::from_utf8_lossy(input)
        );
    }
    let huge = vec![b'a'; MAX_MESSAGE + 10];
    assert_eq!(parse_response(&huge).err(), Some(ParseError::TooLarge));
}

/// xorshift64*: a fixed-seed generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

#[test]
fn damaged_messages_never_panic() {
    let interesting: &[u8] = b"\r\n: ;,=\"\\ \t\x00\xffSIP/2.0 0123456789";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let mut bytes = OK.as_bytes().to_vec();
        for _ in 0..=rng.below(6) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if at < bytes.len() => {
                    bytes[at] = interesting[rng.below(interesting.len())];
                }
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, interesting[rng.below(interesting.len())]),
                _ => bytes.truncate(at),
            }
        }
        if let Ok((response, used)) = parse_response(&bytes) {
            assert!((100..700).contains(&response.code));
            assert!(used <= bytes.len());
        }
    }
}

fn target(uri: &str) -> Target {
    let parsed = SipUri::parse(uri).map_err(|e| e.to_string());
    match parsed.map(|u| parse_target(&u)) {
        Ok(Ok(t)) => t,
        other => panic!("{uri}: {other:?}"),
    }
}

fn user(name: &str) -> SipUsername {
    SipUsername::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every line of a rendered request: a request line, then `Name: value`
/// lines with a token name and no control characters, then one blank line.
fn assert_well_formed(text: &str) {
    let body_start = text.find("\r\n\r\n").unwrap_or_else(|| panic!("{text:?}"));
    assert_eq!(body_start + 4, text.len(), "nothing after the blank line");
    let head = &text[..body_start];
    assert!(!head.contains('\n') || head.split("\r\n").all(|l| !l.contains('\n')));
    for (i, line) in head.split("\r\n").enumerate() {
        assert!(!line.chars().any(char::is_control), "line {i}: {line:?}");
        if i == 0 {
            assert!(
                line.to_ascii_lowercase().starts_with("options sip:") && line.ends_with(" SIP/2.0"),
                "{line}"
            );
            assert_eq!(line.split(' ').count(), 3, "{line}");
            continue;
        }
        let (name, value) = line.split_once(": ").unwrap_or_else(|| panic!("{line:?}"));
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{line:?}"
        );
        assert!(!value.is_empty(), "{line:?}");
    }
}

#[test]
fn the_request_we_send() {
    let exchange = exchange();
    let target = target("sip:pbx.example.com:5060;transport=tcp");
    let alice = user("alice");
    let authorization =
        Authorization::for_tests(AuthHeader::Authorization, "Digest username=\"alice\"");
    let request = Options {
        target: &target,
        local: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 40000)),
        from_user: Some(&alice),
        exchange: &exchange,
        branch: "z9hG4bKxyz",
        cseq: 2,
        authorization: Some(&authorization),
    };
    let text = String::from_utf8(request.render()).unwrap_or_default();
    assert_well_formed(&text);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "OPTIONS sip:pbx.example.com:5060;transport=tcp SIP/2.0"
    );
    assert!(lines.contains(&"Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bKxyz;rport"));
    assert!(lines.contains(&"From: <sip:alice@pbx.example.com>;tag=f1"));
    assert!(lines.contains(&"To: <sip:pbx.example.com:5060;transport=tcp>"));
    assert!(lines.contains(&"Call-ID: c1@thunderphone"));
    assert!(lines.contains(&"CSeq: 2 OPTIONS"));
    assert!(lines.contains(&"Authorization: Digest username=\"alice\""));
    assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
}

#[test]
fn typed_usernames_render_well_formed_requests() {
    let exchange = exchange();
    let challenge = match digest::parse_challenge(
        "Digest realm=\"r\", nonce=\"n\", qop=\"auth\", opaque=\"o\"",
    ) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let Ok(password) = SipPassword::parse("pa ss\"word") else {
        panic!("valid password")
    };
    for (name, uri) in [
        ("+15551234567", "sip:pbx.example.com"),
        ("trunk.user_1", "sip:[2001:db8::1]:5070;transport=tcp"),
        (
            "user%40corp.example",
            "sip:+15550001111@pbx.example.com;user=phone",
        ),
        ("x&y=z+$,;?/", "SIP:PBX.example.com"),
    ] {
        let target = target(uri);
        let username = user(name);
        let authorization = digest::authorization(
            AuthHeader::ProxyAuthorization,
            &challenge,
            &username,
            &password,
            &target,
            "c0ffee",
        );
        let request = Options {
            target: &target,
            local: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 40000)),
            from_user: Some(&username),
            exchange: &exchange,
            branch: "z9hG4bKxyz",
            cseq: 2,
            authorization: Some(&authorization),
        };
        let text = String::from_utf8(request.render()).unwrap_or_default();
        assert_well_formed(&text);
        let from = format!("From: <sip:{name}@");
        assert!(text.contains(&from), "{text}");
        let digest_user = username.as_digest_user();
        assert!(
            text.contains(&format!(
                "Proxy-Authorization: Digest username=\"{digest_user}\""
            )),
            "{text}"
        );
        assert!(!text.contains("pa ss"), "the password is never sent");
    }
}

#[test]
fn reasons_are_cut_to_64_printable_characters() {
    let mut line = b"SIP/2.0 403 ".to_vec();
    line.extend(std::iter::repeat_n(b'A', 100));
    line.extend_from_slice(b"\x01\x1b[31m\rX\x7f");
    line.extend(std::iter::repeat_n(b'B', 100));
    line.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let r = match parse_response(&line) {
        Ok((r, _)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(r.code, 403);
    assert_eq!(r.reason, "A".repeat(64));
    let r = parsed("SIP/2.0 480 Temporarily\x01\tUnavailable \u{e9}\r\n\r\n");
    assert_eq!(r.reason, "Temporarily? Unavailable ?");
    assert_eq!(r.status_line(), "480 Temporarily? Unavailable ?");
}

#[test]
fn parse_errors_never_quote_the_peer() {
    for input in [
        &b"XSECRETX 200 OK\r\n\r\n"[..],
        b"SIP/2.0 XSECRETX OK\r\n\r\n",
        b"SIP/2.0 200 OK\r\nXSECRETX\r\n\r\n",
        b"SIP/2.0 200 OK\r\n XSECRETX\r\n\r\n",
        b"SIP/2.0 200 OK\r\nContent-Length: XSECRETX\r\n\r\n",
    ] {
        let Err(e) = parse_response(input) else {
            panic!("{:?} must fail", String::from_utf8_lossy(input))
        };
        assert!(!e.to_string().contains("XSECRETX"), "{e}");
    }
    assert_eq!(
        parse_response(b"SIP/2.0 200 OK\r\nA: 1\r\nbad line\r\n\r\n")
            .err()
            .map(|e| e.to_string()),
        Some("header line 2 is malformed".to_owned())
    );
}
