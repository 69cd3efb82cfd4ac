//! HTTP Digest for SIP (RFC 3261 §22, RFC 2617, RFC 8760): reads a
//! `WWW-Authenticate` / `Proxy-Authenticate` challenge and answers it.
//! MD5 and SHA-256 (and their `-sess` forms), `qop=auth`, `auth-int` (our
//! OPTIONS has no body) or no qop (RFC 2069).
//!
//! The answer goes back into a header line, so everything in it is
//! checked: our username and password are domain types, the Request-URI
//! comes from a checked [`Target`], and a challenge whose realm, nonce or
//! opaque holds a control character is refused rather than echoed.

use std::fmt;

use md5::Md5;
use sha2::{Digest, Sha256};
use thunderphone_domain::{SipPassword, SipUsername};

use super::uri::Target;

/// Longest realm, nonce or opaque we echo back, in bytes.
const MAX_PARAM: usize = 1024;

/// A digest hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex::encode(Md5::digest(data.as_bytes())),
            Algorithm::Sha256 | Algorithm::Sha256Sess => {
                hex::encode(Sha256::digest(data.as_bytes()))
            }
        }
    }

    /// Preference when a trunk offers several challenges (RFC 8760 §2.4).
    fn strength(self) -> u8 {
        match self {
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
        }
    }
}

/// The quality of protection we answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qop {
    Auth,
    AuthInt,
}

/// A parsed Digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    pub qop: Option<Qop>,
}

/// Why a challenge cannot be answered. Says what was wrong, never quotes
/// the challenge: details reach the customer (API.md §15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DigestError {
    NotDigest,
    Malformed,
    Missing(&'static str),
    Algorithm,
    Qop,
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::NotDigest => {
                f.write_str("it asks for an authentication scheme other than Digest")
            }
            DigestError::Malformed => f.write_str("the challenge is malformed"),
            DigestError::Missing(what) => write!(f, "the challenge has no {what}"),
            DigestError::Algorithm => {
                f.write_str("its digest algorithm is not supported (MD5 and SHA-256 are)")
            }
            DigestError::Qop => f.write_str("its qop is not supported (auth and auth-int are)"),
        }
    }
}

/// Splits `k=v, k="v", …` into pairs; quoted values may contain commas and
/// backslash escapes.
fn params(input: &str) -> Result<Vec<(String, String)>, DigestError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ',') {
            key.push(c);
        }
        if chars.next() != Some('=') {
            return Err(DigestError::Malformed);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => value.push(chars.next().ok_or(DigestError::Malformed)?),
                    Some(c) => value.push(c),
                    None => return Err(DigestError::Malformed),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        }
        out.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// Parses one `WWW-Authenticate` / `Proxy-Authenticate` value.
pub(crate) fn parse_challenge(value: &str) -> Result<Challenge, DigestError> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("digest") {
        return Err(DigestError::NotDigest);
    }
    let pairs = params(rest)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let algorithm = match get("algorithm").map(|a| a.to_ascii_uppercase()).as_deref() {
        None | Some("MD5") => Algorithm::Md5,
        Some("MD5-SESS") => Algorithm::Md5Sess,
        Some("SHA-256") => Algorithm::Sha256,
        Some("SHA-256-SESS") => Algorithm::Sha256Sess,
        Some(_) => return Err(DigestError::Algorithm),
    };
    let qop = match get("qop") {
        None => None,
        Some(list) => {
            let offered: Vec<String> = list
                .split(',')
                .map(|q| q.trim().to_ascii_lowercase())
                .collect();
            if offered.iter().any(|q| q == "auth") {
                Some(Qop::Auth)
            } else if offered.iter().any(|q| q == "auth-int") {
                Some(Qop::AuthInt)
            } else {
                return Err(DigestError::Qop);
            }
        }
    };
    // These three are echoed back in our header line.
    let echoable = |v: String| {
        if v.len() <= MAX_PARAM && !v.chars().any(char::is_control) {
            Ok(v)
        } else {
            Err(DigestError::Malformed)
        }
    };
    Ok(Challenge {
        realm: echoable(get("realm").ok_or(DigestError::Missing("realm"))?)?,
        nonce: echoable(get("nonce").ok_or(DigestError::Missing("nonce"))?)?,
        opaque: get("opaque").map(echoable).transpose()?,
        algorithm,
        qop,
    })
}

/// The strongest challenge we can answer among `values`, or the reason the
/// first one cannot be answered.
pub(crate) fn best_challenge<'a>(
    values: impl Iterator<Item = &'a str>,
) -> Result<Challenge, DigestError> {
    let mut first_error = None;
    let mut best: Option<Challenge> = None;
    for value in values {
        match parse_challenge(value) {
            Ok(c)
                if best
                    .as_ref()
                    .is_none_or(|b| c.algorithm.strength() > b.algorithm.strength()) =>
            {
                best = Some(c);
            }
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    best.ok_or_else(|| first_error.unwrap_or(DigestError::Missing("WWW-Authenticate header")))
}

/// Escapes a value for a quoted-string.
fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Which header carries the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthHeader {
    /// Answers a 401 `WWW-Authenticate`.
    Authorization,
    /// Answers a 407 `Proxy-Authenticate`.
    ProxyAuthorization,
}

/// A header answering a challenge; made only by [`authorization`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization {
    header: AuthHeader,
    value: String,
}

impl Authorization {
    pub fn header_name(&self) -> &'static str {
        match self.header {
            AuthHeader::Authorization => "Authorization",
            AuthHeader::ProxyAuthorization => "Proxy-Authorization",
        }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// A header with a value of the test's choosing.
    #[cfg(test)]
    pub fn for_tests(header: AuthHeader, value: &str) -> Self {
        Self {
            header,
            value: value.to_owned(),
        }
    }
}

/// The answer to `challenge` for an OPTIONS to `target`, in `header`.
/// `cnonce` must be fresh for each answer (our own hex).
pub(crate) fn authorization(
    header: AuthHeader,
    challenge: &Challenge,
    username: &SipUsername,
    password: &SipPassword,
    target: &Target,
    cnonce: &str,
) -> Authorization {
    Authorization {
        header,
        value: answer(
            challenge,
            username.as_digest_user(),
            password.expose(),
            "OPTIONS",
            target.request_uri(),
            cnonce,
        ),
    }
}

/// The `Authorization` value answering `challenge` for `method uri`.
fn answer(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let alg = challenge.algorithm;
    let nc = "00000001";
    let mut ha1 = alg.hash(&format!("{username}:{}:{password}", challenge.realm));
    if matches!(alg, Algorithm::Md5Sess | Algorithm::Sha256Sess) {
        ha1 = alg.hash(&format!("{ha1}:{}:{cnonce}", challenge.nonce));
    }
    let ha2 = match challenge.qop {
        Some(Qop::AuthInt) => alg.hash(&format!("{method}:{uri}:{}", alg.hash(""))),
        _ => alg.hash(&format!("{method}:{uri}")),
    };
    let (response, qop_part) = match challenge.qop {
        Some(qop) => {
            let name = if qop == Qop::Auth { "auth" } else { "auth-int" };
            (
                alg.hash(&format!(
                    "{ha1}:{}:{nc}:{cnonce}:{name}:{ha2}",
                    challenge.nonce
                )),
                format!(", qop={name}, nc={nc}, cnonce=\"{cnonce}\""),
            )
        }
        None => (
            alg.hash(&format!("{ha1}:{}:{ha2}", challenge.nonce)),
            String::new(),
        ),
    };
    let opaque = challenge
        .opaque
        .as_ref()
        .map(|o| format!(", opaque=\"{}\"", quote(o)))
        .unwrap_or_default();
    format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\", algorithm={}{qop_part}{opaque}",
        quote(username),
        quote(&challenge.realm),
        quote(&challenge.nonce),
        quote(uri),
        alg.name(),
    )
}

#[cfg(test)]
#[path = "digest_tests.rs"]
mod tests;
