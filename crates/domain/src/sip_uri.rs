//! The termination URI of a SIP trunk. It becomes the Request-URI and the
//! `To:` header of every OPTIONS the verifier sends, so each component may
//! hold only the characters RFC 3261 §25.1 allows there.

use std::net::Ipv6Addr;

use crate::ParseError;
use crate::sip::{EscapeFault, breaks_lines, check_escaped, unreserved};

/// A SIP URI a trunk answers on, e.g. `sip:pbx.example.com:5060;transport=tcp`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri(String);

/// Longest accepted URI, in characters.
const MAX_CHARS: usize = 255;

/// RFC 3261 `param-unreserved`.
fn param_char(c: char) -> bool {
    unreserved(c) || "[]/:&+$".contains(c)
}

/// RFC 3261 `hnv-unreserved`.
fn header_char(c: char) -> bool {
    unreserved(c) || "[]/?:+$".contains(c)
}

/// RFC 3261 `user-unreserved`, the user part of `userinfo`.
fn user_char(c: char) -> bool {
    unreserved(c) || "&=+$,;?/".contains(c)
}

fn component(part: &'static str, value: &str, allowed: fn(char) -> bool) -> Result<(), ParseError> {
    check_escaped(value, allowed).map_err(|fault| {
        ParseError::new(match fault {
            EscapeFault::Char => format!("has a character SIP does not allow in its {part}"),
            EscapeFault::Escape => {
                format!("has a % in its {part} that is not followed by two hex digits")
            }
            EscapeFault::EscapedControl => {
                format!("has an escaped control character in its {part}")
            }
        })
    })
}

/// `host[:port]`: a host name or IPv4 address of letters, digits, `-` and
/// `.`, or an IPv6 address in brackets; a port of 1-65535.
fn check_hostport(hostport: &str) -> Result<(), ParseError> {
    let bad_host =
        || ParseError::new("must name a host: a domain name, an IPv4 address or an [IPv6] address");
    let (host_ok, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (inner, after) = v6.split_once(']').ok_or_else(bad_host)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(bad_host)?),
        };
        (inner.parse::<Ipv6Addr>().is_ok(), port)
    } else {
        let (host, port) = match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        };
        let ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        (ok, port)
    };
    if !host_ok {
        return Err(bad_host());
    }
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|p| p > 0)
    });
    if port_ok {
        Ok(())
    } else {
        Err(ParseError::new("port must be 1-65535"))
    }
}

/// `;name[=value]` parameters, each name and value 1+ `paramchar`.
fn check_params(params: &str) -> Result<(), ParseError> {
    for param in params.split(';') {
        let (name, value) = match param.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (param, None),
        };
        if name.is_empty() || value.is_some_and(str::is_empty) {
            return Err(ParseError::new(
                "has an empty parameter; write ;name or ;name=value",
            ));
        }
        component("parameters", name, param_char)?;
        if let Some(value) = value {
            component("parameters", value, param_char)?;
        }
    }
    Ok(())
}

/// `?name=value&…` headers.
fn check_headers(headers: &str) -> Result<(), ParseError> {
    for header in headers.split('&') {
        let (name, value) = header
            .split_once('=')
            .ok_or_else(|| ParseError::new("has a header without =; write ?name=value"))?;
        if name.is_empty() {
            return Err(ParseError::new("has a header without a name"));
        }
        component("headers", name, header_char)?;
        component("headers", value, header_char)?;
    }
    Ok(())
}

impl SipUri {
    /// Accepts `sip:` or `sips:` URIs of the RFC 3261 grammar:
    /// `[user@]host[:port][;params][?headers]`, at most 255 characters, with
    /// no whitespace, control characters or other characters SIP does not
    /// allow in that component, and no password in the user part (the
    /// URI is shown back and sent as it is; credentials go in
    /// `credentials`).
    ///
    /// # Errors
    /// A [`ParseError`] naming what is wrong.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.chars().count() > MAX_CHARS {
            return Err(ParseError::new("must be at most 255 characters"));
        }
        if input.chars().any(|c| c.is_whitespace() || breaks_lines(c)) {
            return Err(ParseError::new(
                "must not contain spaces or control characters",
            ));
        }
        let lower = input
            .get(..5)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let rest = if lower.starts_with("sips:") {
            &input[5..]
        } else if lower.starts_with("sip:") {
            &input[4..]
        } else {
            return Err(ParseError::new(
                "must be a SIP URI like sip:pbx.example.com:5060",
            ));
        };
        let (rest, headers) = match rest.split_once('?') {
            Some((rest, headers)) => (rest, Some(headers)),
            None => (rest, None),
        };
        let (rest, params) = match rest.split_once(';') {
            Some((rest, params)) => (rest, Some(params)),
            None => (rest, None),
        };
        let hostport = match rest.split_once('@') {
            Some((userinfo, hostport)) => {
                if userinfo.contains(':') {
                    return Err(ParseError::new(
                        "must not carry a password; put it in credentials.password",
                    ));
                }
                if userinfo.is_empty() {
                    return Err(ParseError::new("has an empty user part before @"));
                }
                component("user part", userinfo, user_char)?;
                hostport
            }
            None => rest,
        };
        check_hostport(hostport)?;
        if let Some(params) = params {
            check_params(params)?;
        }
        if let Some(headers) = headers {
            check_headers(headers)?;
        }
        Ok(Self(input.to_owned()))
    }

    /// Reads back a URI stored under the rules of earlier versions:
    /// `sip:`/`sips:`, a host and an optional port, no whitespace or
    /// control characters, at most 255 characters; the rest unchecked. A
    /// stored value must never make reading its connection fail. Such a
    /// URI is shown but never signalled to: the SIP verifier checks every
    /// URI with [`SipUri::parse`] first and asks for the connection to be
    /// recreated when that fails.
    ///
    /// # Errors
    /// A [`ParseError`] for values no version ever accepted.
    pub fn parse_stored(input: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::new("must be a SIP URI like sip:pbx.example.com:5060");
        let value = input.trim();
        if value.len() > MAX_CHARS || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let lower = value.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("sips:")
            .or_else(|| lower.strip_prefix("sip:"))
            .ok_or_else(invalid)?;
        let hostport = rest.split(';').next().unwrap_or_default();
        let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
            _ => (hostport, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        if host_ok && port_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// The URI as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn realistic_uris_are_accepted() {
        for ok in [
            "sip:pbx.example.com:5060",
            "sips:pbx.example.com",
            "SIP:PBX.example.com",
            "sip:10.0.0.1:5070;transport=tcp",
            "sip:trunk@pbx.example.com",
            "sip:+15551234567@trunk.example.com;user=phone",
            "sip:user%40corp@pbx.example.com",
            "sip:[2001:db8::1]:5060;lr;transport=udp",
            "sip:[::1]",
            "sip:127.1",
            "sip:pbx.example.com;maddr=10.0.0.1;x-tag=a%20b",
            "sip:pbx.example.com?subject=hi&priority=",
        ] {
            assert!(SipUri::parse(ok).is_ok(), "{ok}: {:?}", SipUri::parse(ok));
        }
    }

    #[test]
    fn controls_whitespace_and_sip_forbidden_chars_are_refused() {
        let controls = (0u32..0x20)
            .chain(0x7f..0xa0)
            .chain([0x2028, 0x2029])
            .filter_map(char::from_u32);
        for c in controls {
            for uri in [
                format!("sip:pbx.example.com{c}"),
                format!("sip:pbx{c}.example.com"),
                format!("sip:pbx.example.com;transport=tcp{c}"),
                format!("sip:a{c}b@pbx.example.com"),
            ] {
                assert!(SipUri::parse(&uri).is_err(), "{uri:?}");
            }
        }
        for bad in [
            "",
            "http://x",
            "sip:",
            "sip:pbx:0",
            "sip:pbx:99999",
            "sip:pbx:+50",
            "sip:pb x",
            " sip:pbx",
            "sip:pbx:abc",
            "sip:pbx.example.com\r\nX-Injected: 1",
            "sip:pbx.example.com;x=<evil>",
            "sip:pbx.example.com;x=\"q\"",
            "sip:pbx.example.com;x=a,b",
            "sip:pbx.example.com;;lr",
            "sip:pbx.example.com;x=",
            "sip:pbx.example.com;x=%0d%0a",
            "sip:pbx.example.com;x=%zz",
            "sip:pb_x.example.com",
            "sip:pbx.example.com>",
            "sip:a<b@pbx.example.com",
            "sip:@pbx.example.com",
            "sip:user:secret@pbx.example.com",
            "sip:[::1",
            "sip:[nothex]",
            "sip:[::1]x",
            "sip:pbx.example.com?x",
            "sip:pbx.example.com?x=<y>",
        ] {
            assert!(SipUri::parse(bad).is_err(), "{bad:?}");
        }
        assert!(SipUri::parse(&format!("sip:{}", "a".repeat(251))).is_ok());
        assert!(SipUri::parse(&format!("sip:{}", "a".repeat(252))).is_err());
    }

    #[test]
    fn stored_uris_of_older_rules_still_read() {
        for old in [
            "sip:pbx.example.com;x=<evil>",
            "sip:user:secret@pbx.example.com",
            "sip:pbx.example.com:5060",
        ] {
            assert!(SipUri::parse_stored(old).is_ok(), "{old}");
        }
        assert!(SipUri::parse_stored("sip:pbx\r\n").is_ok_and(|u| u.as_str() == "sip:pbx"));
        for never in ["sip:pb x", "http://x", "sip:pbx:0", "sip:p\u{7}bx"] {
            assert!(SipUri::parse_stored(never).is_err(), "{never:?}");
        }
    }
}
