//! The one SIP request we send (OPTIONS) and a small, strict parser for
//! the responses it gets. Anything a trunk sends back is untrusted input:
//! the parser never panics, bounds sizes, and says what was wrong without
//! quoting it. Every value the request carries is typed: a [`Target`]
//! checked against RFC 3261, a [`SipUsername`], an [`Authorization`] built
//! by the digest module, and our own hex identifiers.

use std::fmt;
use std::fmt::Write as _;
use std::net::SocketAddr;

use thunderphone_domain::SipUsername;

use super::digest::Authorization;
use super::uri::Target;

/// Largest message we accept (the size of a UDP datagram).
pub(crate) const MAX_MESSAGE: usize = 65_535;

/// The identifiers of one OPTIONS exchange.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub call_id: String,
    pub from_tag: String,
}

/// The `From:` user when the connection has no username.
const ANONYMOUS_USER: &str = "thunderphone";

/// An OPTIONS request, rendered anew for each try.
pub(crate) struct Options<'a> {
    pub target: &'a Target,
    pub local: SocketAddr,
    /// The digest username, written as the `From:` user; ours when `None`.
    pub from_user: Option<&'a SipUsername>,
    pub exchange: &'a Exchange,
    pub branch: &'a str,
    pub cseq: u32,
    pub authorization: Option<&'a Authorization>,
}

impl Options<'_> {
    /// The request as sent on the wire.
    pub fn render(&self) -> Vec<u8> {
        let local = match self.local {
            SocketAddr::V4(a) => a.to_string(),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        };
        let target = self.target;
        let host = if target.host.contains(':') {
            format!("[{}]", target.host)
        } else {
            target.host.to_owned()
        };
        let via = target.transport().via_name();
        let mut out = String::with_capacity(512);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "OPTIONS {uri} SIP/2.0\r\n\
             Via: SIP/2.0/{via} {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@{host}>;tag={tag}\r\n\
             To: <{uri}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} OPTIONS\r\n\
             Contact: <sip:thunderphone@{local};transport={transport}>\r\n\
             Accept: application/sdp\r\n\
             User-Agent: ThunderPhone-Verifier/{version}\r\n",
            uri = target.request_uri(),
            branch = self.branch,
            user = self
                .from_user
                .map_or(ANONYMOUS_USER, SipUsername::as_uri_user),
            tag = self.exchange.from_tag,
            call_id = self.exchange.call_id,
            cseq = self.cseq,
            transport = via.to_ascii_lowercase(),
            version = env!("CARGO_PKG_VERSION"),
        );
        if let Some(authorization) = self.authorization {
            let _ = write!(
                out,
                "{}: {}\r\n",
                authorization.header_name(),
                authorization.value()
            );
        }
        out.push_str("Content-Length: 0\r\n\r\n");
        out.into_bytes()
    }
}

/// A parsed SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub code: u16,
    /// The reason phrase made safe to quote: printable ASCII only, at most
    /// [`MAX_REASON`] characters (API.md §15).
    pub reason: String,
    /// Lower-case full names (compact forms expanded) and trimmed values.
    headers: Vec<(String, String)>,
}

impl Response {
    /// Every value of header `name` (lower-case full name), in order.
    pub fn headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `"404 Not Found"`, for details.
    pub fn status_line(&self) -> String {
        if self.reason.is_empty() {
            self.code.to_string()
        } else {
            format!("{} {}", self.code, self.reason)
        }
    }

    /// True when this answers our request: same Call-ID, CSeq and top Via
    /// branch. Strays (late answers to an earlier try) are ignored.
    pub fn answers(&self, exchange: &Exchange, cseq: u32, branch: &str) -> bool {
        let same_call = self.header("call-id") == Some(exchange.call_id.as_str());
        let same_cseq = self.header("cseq").is_some_and(|v| {
            let mut parts = v.split_whitespace();
            parts.next().and_then(|n| n.parse::<u32>().ok()) == Some(cseq)
                && parts
                    .next()
                    .is_some_and(|m| m.eq_ignore_ascii_case("OPTIONS"))
        });
        let same_branch = self.header("via").is_some_and(|via| {
            via.split(',').next().is_some_and(|top| {
                top.split(';')
                    .skip(1)
                    .any(|p| p.trim().strip_prefix("branch=") == Some(branch))
            })
        });
        same_call && same_cseq && same_branch
    }
}

/// Longest reason phrase a detail quotes, in characters.
pub(crate) const MAX_REASON: usize = 64;

/// What is wrong with bytes that should be a SIP response. It says what
/// was wrong, never what was sent: the detail reaches the customer, and a
/// peer that is not a SIP trunk must not be able to echo its bytes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// More bytes are needed (headers or body not complete yet).
    Incomplete,
    TooLarge,
    NotUtf8,
    /// The first line is not `SIP/2.0 <100-699> <reason>`.
    BadStatusLine,
    /// Header line `n` (1 is the first after the status line) is malformed.
    BadHeader(usize),
    BadContentLength,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Incomplete => f.write_str("the message ended early"),
            ParseError::TooLarge => f.write_str("the message is larger than 64 KiB"),
            ParseError::NotUtf8 => f.write_str("the headers are not UTF-8"),
            ParseError::BadStatusLine => f.write_str(
                "the first line is not a SIP status line (SIP/2.0, a status code of 100-699, a reason)",
            ),
            ParseError::BadHeader(n) => write!(f, "header line {n} is malformed"),
            ParseError::BadContentLength => f.write_str("bad Content-Length"),
        }
    }
}

/// Full names of the compact header forms (RFC 3261 §7.3.3).
fn full_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let full = match lower.as_str() {
        "i" => "call-id",
        "v" => "via",
        "l" => "content-length",
        "f" => "from",
        "t" => "to",
        "m" => "contact",
        "c" => "content-type",
        "k" => "supported",
        _ => return lower,
    };
    full.to_owned()
}

/// The reason phrase as details may quote it: printable ASCII (anything
/// else becomes `?`, a tab a space), at most [`MAX_REASON`] characters.
fn reason_phrase(raw: &str) -> String {
    raw.chars()
        .take(MAX_REASON)
        .map(|c| match c {
            '\t' => ' ',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => '?',
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Parses one response from the start of `bytes`; returns it and how many
/// bytes it took (headers plus `Content-Length` of body). A message with no
/// Content-Length takes the rest of `bytes` (fine for UDP; over TCP the
/// header is mandatory and trunks send it).
pub(crate) fn parse_response(bytes: &[u8]) -> Result<(Response, usize), ParseError> {
    let (head_len, sep_len) = match find(bytes, b"\r\n\r\n") {
        Some(i) => (i, 4),
        None => match find(bytes, b"\n\n") {
            Some(i) => (i, 2),
            None if bytes.len() > MAX_MESSAGE => return Err(ParseError::TooLarge),
            None => return Err(ParseError::Incomplete),
        },
    };
    if head_len > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    let head = std::str::from_utf8(&bytes[..head_len]).map_err(|_| ParseError::NotUtf8)?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status = lines.next().unwrap_or_default();
    let (code, reason) = parse_status_line(status)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for (n, line) in lines.enumerate() {
        let bad = || ParseError::BadHeader(n + 1);
        if line.starts_with([' ', '\t']) {
            // A folded continuation of the previous header.
            match headers.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => return Err(bad()),
            }
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(bad)?;
        let name = name.trim_end();
        let token = |c: char| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(bad());
        }
        headers.push((full_name(name), value.trim().to_owned()));
    }
    let body_len = match headers.iter().find(|(n, _)| n == "content-length") {
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|len| *len <= MAX_MESSAGE)
            .ok_or(ParseError::BadContentLength)?,
        None => bytes.len() - head_len - sep_len,
    };
    let total = head_len + sep_len + body_len;
    if bytes.len() < total {
        return Err(ParseError::Incomplete);
    }
    Ok((
        Response {
            code,
            reason,
            headers,
        },
        total,
    ))
}

fn parse_status_line(line: &str) -> Result<(u16, String), ParseError> {
    let bad = || ParseError::BadStatusLine;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(bad());
    }
    let code = parts.next().unwrap_or_default();
    let code = if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) {
        code.parse::<u16>().map_err(|_| bad())?
    } else {
        return Err(bad());
    };
    if !(100..700).contains(&code) {
        return Err(bad());
    }
    // A reason with control or non-ASCII characters is still an answer
    // with a status code; only its printable part is kept.
    Ok((code, reason_phrase(parts.next().unwrap_or_default().trim())))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
