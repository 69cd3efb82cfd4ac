//! HTTP Digest for SIP (RFC 3261 §22, RFC 2617, RFC 8760): reads a
//! `WWW-Authenticate` / `Proxy-Authenticate` challenge and answers it.
//! MD5 and SHA-256 (and their `-sess` forms), `qop=auth`, `auth-int` (our
//! OPTIONS has no body) or no qop (RFC 2069).

use std::fmt;
use std::fmt::Write as _;

use md5::Md5;
use sha2::{Digest, Sha256};
use thunderphone_domain::Secret;

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
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data.as_bytes())),
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

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
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

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DigestError {
    NotDigest(String),
    Malformed,
    Missing(&'static str),
    Algorithm(String),
    Qop(String),
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::NotDigest(scheme) => {
                write!(f, "it asks for {scheme} authentication, not Digest")
            }
            DigestError::Malformed => f.write_str("the challenge is malformed"),
            DigestError::Missing(what) => write!(f, "the challenge has no {what}"),
            DigestError::Algorithm(a) => write!(
                f,
                "digest algorithm {a} is not supported (MD5 and SHA-256 are)"
            ),
            DigestError::Qop(q) => write!(f, "qop {q:?} is not supported (auth and auth-int are)"),
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
        return Err(DigestError::NotDigest(scheme.chars().take(20).collect()));
    }
    let pairs = params(rest)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let algorithm = match get("algorithm").map(|a| a.to_ascii_uppercase()).as_deref() {
        None | Some("MD5") => Algorithm::Md5,
        Some("MD5-SESS") => Algorithm::Md5Sess,
        Some("SHA-256") => Algorithm::Sha256,
        Some("SHA-256-SESS") => Algorithm::Sha256Sess,
        Some(other) => return Err(DigestError::Algorithm(other.chars().take(20).collect())),
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
                return Err(DigestError::Qop(list.chars().take(30).collect()));
            }
        }
    };
    Ok(Challenge {
        realm: get("realm").ok_or(DigestError::Missing("realm"))?,
        nonce: get("nonce").ok_or(DigestError::Missing("nonce"))?,
        opaque: get("opaque"),
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

/// The `Authorization` value answering `challenge` for `method uri`.
/// `cnonce` must be fresh for each answer.
pub(crate) fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &Secret,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let alg = challenge.algorithm;
    let nc = "00000001";
    let mut ha1 = alg.hash(&format!(
        "{username}:{}:{}",
        challenge.realm,
        password.expose()
    ));
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
