//! What a host string names: an IP address in any spelling the C library
//! (`inet_aton`) or a URL parser would accept, `localhost`, or a DNS name.
//! A host that reads as an address is that address and never goes to DNS,
//! so `2130706433` or `0x7f.1` cannot slip past the check as "a name".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A host, as the gate understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A literal address (IPv4 in any `inet_aton` spelling, or IPv6 with or
    /// without brackets).
    Ip(IpAddr),
    /// `localhost` or a name under `.localhost`: loopback by definition
    /// (RFC 6761 §6.3), never asked of DNS.
    Localhost,
    /// A DNS name, lower case, without a trailing dot.
    Name(String),
}

/// The host is neither an address nor a usable DNS name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHost;

/// Longest DNS name (RFC 1035), without the trailing dot.
const MAX_NAME: usize = 253;
/// Longest DNS label.
const MAX_LABEL: usize = 63;

/// Reads `host`: surrounding brackets and one trailing dot are dropped,
/// case is ignored.
///
/// # Errors
/// [`InvalidHost`] for an empty host, characters no DNS name has, an
/// IPv6 literal that does not parse, or a name whose last label is a
/// number but that is no IPv4 address (`1.2.3.4.5`, `256.1.1.1`): URL
/// parsers refuse those too, and no top-level domain is numeric.
pub fn parse_host(host: &str) -> Result<Host, InvalidHost> {
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(InvalidHost)?;
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| InvalidHost);
    }
    if host.contains(':') {
        return host
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| InvalidHost);
    }
    let lower = host.to_ascii_lowercase();
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    if let Some(ip) = inet_aton(name) {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let labels_ok = name
        .split('.')
        .all(|label| !label.is_empty() && label.len() <= MAX_LABEL);
    if name.is_empty() || name.len() > MAX_NAME || !valid_chars || !labels_ok {
        return Err(InvalidHost);
    }
    if name.rsplit('.').next().is_some_and(is_number) {
        return Err(InvalidHost);
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Ok(Host::Localhost);
    }
    Ok(Host::Name(name.to_owned()))
}

/// A label `inet_aton` would read as a number: decimal, `0x` hex or octal.
fn is_number(label: &str) -> bool {
    let hex = label
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || label.bytes().all(|b| b.is_ascii_digit())
}

/// One part of an `inet_aton` address: decimal, `0x` hex (`0x` alone is
/// 0, as in glibc) or, with a leading zero, octal.
fn part(text: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x") {
        if hex.is_empty() {
            return Some(0);
        }
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `inet_aton(3)`: `a.b.c.d`, `a.b.c` (c is 16 bits), `a.b` (b is 24
/// bits) or `a` (32 bits), each part decimal, hex or octal.
pub fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let parts = text.split('.').map(part).collect::<Option<Vec<u64>>>()?;
    let (&last, leading) = parts.split_last()?;
    if leading.len() > 3 || leading.iter().any(|&p| p > 255) {
        return None;
    }
    let last_bits = 32 - 8 * leading.len() as u32;
    if last >> last_bits != 0 {
        return None;
    }
    let mut value = u32::try_from(last).ok()?;
    for (i, &p) in leading.iter().enumerate() {
        value |= u32::try_from(p).ok()? << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: u8, b: u8, c: u8, d: u8) -> Result<Host, InvalidHost> {
        Ok(Host::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d))))
    }

    #[test]
    fn ipv4_spellings_are_addresses() {
        for spelling in [
            "127.0.0.1",
            "127.1",
            "127.0.1",
            "2130706433",
            "0x7f000001",
            "0X7F000001",
            "0x7f.1",
            "0177.0.0.1",
            "0177.1",
            "017700000001",
            "0x7f.0.0.0x1",
            "127.0.0.1.",
            "127.000.000.001",
        ] {
            assert_eq!(parse_host(spelling), v4(127, 0, 0, 1), "{spelling}");
        }
        assert_eq!(parse_host("169.254.43518"), v4(169, 254, 169, 254));
        assert_eq!(parse_host("0"), v4(0, 0, 0, 0));
        assert_eq!(parse_host("0x"), v4(0, 0, 0, 0));
        assert_eq!(parse_host("10.1"), v4(10, 0, 0, 1));
        assert_eq!(parse_host("4294967295"), v4(255, 255, 255, 255));
    }

    #[test]
    fn numbers_that_are_no_address_are_invalid() {
        for spelling in [
            "4294967296",
            "256.0.0.1",
            "1.2.3.4.5",
            "1.2.3.256",
            "1.2.65536",
            "08.0.0.1",
            "0x1g.1",
            "example.123",
            "example.0x1f",
            "99999999999999999999999",
            "1..1",
            "",
            ".",
            "a b",
            "pbx%eth0",
            "[::1",
            "[127.0.0.1]",
            "fe80::1%eth0",
        ] {
            assert_eq!(parse_host(spelling), Err(InvalidHost), "{spelling:?}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert_eq!(parse_host(&long), Err(InvalidHost));
    }

    #[test]
    fn ipv6_with_and_without_brackets() {
        let one = Ok(Host::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_host("[::1]"), one);
        assert_eq!(parse_host("::1"), one);
        assert_eq!(parse_host("[0:0:0:0:0:0:0:1]"), one);
        assert_eq!(
            parse_host("[::FFFF:127.0.0.1]"),
            Ok(Host::Ip(IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped())))
        );
    }

    #[test]
    fn names_and_localhost() {
        assert_eq!(
            parse_host("PBX.Example.COM."),
            Ok(Host::Name("pbx.example.com".into()))
        );
        assert_eq!(
            parse_host("1password.com"),
            Ok(Host::Name("1password.com".into()))
        );
        assert_eq!(
            parse_host("0x7f.example"),
            Ok(Host::Name("0x7f.example".into()))
        );
        for spelling in ["localhost", "LOCALHOST.", "db.localhost"] {
            assert_eq!(parse_host(spelling), Ok(Host::Localhost), "{spelling}");
        }
        assert_eq!(
            parse_host("localhost.example.com"),
            Ok(Host::Name("localhost.example.com".into()))
        );
    }
}
