//! Digest tests against the worked examples of RFC 2617 and RFC 7616, and
//! a table of challenges we must refuse cleanly.

use thunderphone_domain::SipUri;

use super::*;
use crate::sip::uri::parse_target;

fn response_of(header: &str) -> String {
    header
        .split("response=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn rfc2617_md5_qop_auth() {
    let challenge = parse_challenge(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
    );
    let Ok(challenge) = challenge else {
        panic!("{challenge:?}")
    };
    assert_eq!(challenge.qop, Some(Qop::Auth));
    let header = answer(
        &challenge,
        "Mufasa",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        "0a4f113b",
    );
    assert_eq!(response_of(&header), "6629fae49393a05397450978507c4ef1");
    assert!(header.contains("qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
    assert!(header.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    assert!(!header.contains("Circle"), "{header}");
}

#[test]
fn rfc7616_sha256_and_md5() {
    let base = "realm=\"http-auth@example.org\", qop=\"auth, auth-int\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let password = "Circle of Life";
    for (alg, want) in [
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ] {
        let parsed = parse_challenge(&format!("Digest {base}, algorithm={alg}"));
        let Ok(challenge) = parsed else {
            panic!("{parsed:?}")
        };
        let header = answer(
            &challenge,
            "Mufasa",
            password,
            "GET",
            "/dir/index.html",
            cnonce,
        );
        assert_eq!(response_of(&header), want, "{alg}");
        assert!(header.contains(&format!("algorithm={alg}")));
    }
}

#[test]
fn no_qop_is_rfc2069() {
    let parsed = parse_challenge("Digest realm=\"asterisk\",nonce=\"abc\"");
    let Ok(challenge) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(challenge.qop, None);
    let header = answer(&challenge, "u", "p", "OPTIONS", "sip:h", "c");
    let ha1 = Algorithm::Md5.hash("u:asterisk:p");
    let ha2 = Algorithm::Md5.hash("OPTIONS:sip:h");
    assert_eq!(
        response_of(&header),
        Algorithm::Md5.hash(&format!("{ha1}:abc:{ha2}"))
    );
    assert!(!header.contains("qop"));
}

#[test]
fn the_strongest_challenge_wins() {
    let offered = [
        "Digest realm=\"r\", nonce=\"1\", algorithm=MD5, qop=\"auth\"",
        "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256, qop=\"auth\"",
        "Basic realm=\"r\"",
    ];
    let best = best_challenge(offered.into_iter());
    assert_eq!(best.map(|c| c.algorithm), Ok(Algorithm::Sha256));
    assert!(matches!(
        best_challenge(["Basic realm=\"r\""].into_iter()),
        Err(DigestError::NotDigest)
    ));
    assert!(best_challenge(std::iter::empty()).is_err());
}

#[test]
fn unanswerable_challenges() {
    for (value, want) in [
        ("Digest nonce=\"n\"", DigestError::Missing("realm")),
        ("Digest realm=\"r\"", DigestError::Missing("nonce")),
        (
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256",
            DigestError::Algorithm,
        ),
        (
            "Digest realm=\"r\", nonce=\"n\", qop=\"token\"",
            DigestError::Qop,
        ),
        ("Digest realm=\"r, nonce=\"n\"", DigestError::Malformed),
        ("Digest realm", DigestError::Malformed),
        ("Digest realm=\"x\\", DigestError::Malformed),
        ("NTLM", DigestError::NotDigest),
        ("Digest realm=\"a\rb\", nonce=\"n\"", DigestError::Malformed),
        (
            "Digest realm=\"r\", nonce=\"n\u{0}\"",
            DigestError::Malformed,
        ),
        (
            "Digest realm=\"r\", nonce=\"n\", opaque=\"o\u{7f}\"",
            DigestError::Malformed,
        ),
        (
            &format!("Digest realm=\"r\", nonce=\"{}\"", "n".repeat(1025)),
            DigestError::Malformed,
        ),
    ] {
        assert_eq!(parse_challenge(value), Err(want), "{value}");
    }
}

#[test]
fn quoted_values_are_escaped_and_unescaped() {
    let parsed = parse_challenge(r#"Digest realm="a \"b\", c", nonce="n""#);
    let Ok(challenge) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(challenge.realm, "a \"b\", c");
    let (Ok(user), Ok(password), Ok(uri)) = (
        SipUsername::parse("u%22x"),
        SipPassword::parse("p"),
        SipUri::parse("sip:h"),
    ) else {
        panic!("valid values")
    };
    let Ok(target) = parse_target(&uri) else {
        panic!("valid target")
    };
    let header = authorization(
        AuthHeader::Authorization,
        &challenge,
        &user,
        &password,
        &target,
        "c",
    );
    assert_eq!(header.header_name(), "Authorization");
    let value = header.value();
    assert!(value.contains(r#"username="u\"x""#), "{value}");
    assert!(value.contains(r#"realm="a \"b\", c""#), "{value}");
    assert!(value.contains(r#"uri="sip:h""#), "{value}");
}

#[test]
fn errors_never_quote_the_challenge() {
    for value in [
        "XSECRETX realm=\"r\"",
        "Digest realm=\"r\", nonce=\"n\", algorithm=XSECRETX",
        "Digest realm=\"r\", nonce=\"n\", qop=\"XSECRETX\"",
    ] {
        let Err(e) = parse_challenge(value) else {
            panic!("{value} must be refused")
        };
        assert!(!e.to_string().contains("XSECRETX"), "{e}");
    }
}
