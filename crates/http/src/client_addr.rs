//! The client address of a request (API.md §17): the peer address, or,
//! when the peer is a trusted proxy, the right-most `X-Forwarded-For`
//! entry that is not a trusted proxy. Entries left of that one were
//! written by the client and prove nothing, so they are never used.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` entries are believed
/// (`THUNDERPHONE_TRUSTED_PROXIES`); empty: the header is ignored.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts the given networks.
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn contains(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// The client address of a request from `peer` with these headers;
    /// `None` only when the peer is unknown (a request not from a socket).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer.map(|p| p.to_canonical())?;
        if self.0.is_empty() || !self.contains(peer) {
            return Some(peer);
        }
        // Every header line in order, each a comma-separated list: the
        // right-most entry was added by the nearest proxy.
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            // A trusted proxy wrote this entry, so it must parse; if it
            // does not, the chain is broken here and the last hop we can
            // vouch for is the client.
            let Some(addr) = parse(entry) else {
                return Some(client);
            };
            client = addr;
            if !self.contains(addr) {
                return Some(addr);
            }
        }
        Some(client)
    }
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `::1`,
/// `[::1]:443`.
fn parse(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|a| a.to_canonical())
}

/// Parses `THUNDERPHONE_TRUSTED_PROXIES` entries: CIDRs (`10.0.0.0/8`,
/// `fd00::/8`) or single addresses (`10.0.0.1`).
///
/// # Errors
/// The entry that is neither.
pub fn parse_network(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    entry
        .parse::<IpNet>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("{entry:?} is not a CIDR (e.g. 10.0.0.0/8) or an IP address"))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn headers(lines: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_static(line),
            );
        }
        map
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().filter_map(|n| parse_network(n).ok()).collect())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let spoofed = headers(&["203.0.113.9"]);
        assert_eq!(
            none.client(Some(ip("198.51.100.1")), &spoofed),
            Some(ip("198.51.100.1"))
        );
        // A peer that is not trusted cannot speak for anyone else either.
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client(Some(ip("198.51.100.1")), &spoofed),
            Some(ip("198.51.100.1"))
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.168.1.1"]);
        let peer = Some(ip("10.0.0.2"));
        // The client wrote the left entries itself; the proxies appended.
        let chain = headers(&["1.1.1.1, 203.0.113.7", "192.168.1.1"]);
        assert_eq!(trusted.client(peer, &chain), Some(ip("203.0.113.7")));
        assert_eq!(
            trusted.client(peer, &headers(&["203.0.113.7:4711"])),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            trusted.client(peer, &headers(&["[2001:db8::1]:443"])),
            Some(ip("2001:db8::1"))
        );
        // No header: the proxy itself is the client.
        assert_eq!(trusted.client(peer, &HeaderMap::new()), peer);
        // Only proxies in the chain: the farthest one.
        assert_eq!(
            trusted.client(peer, &headers(&["10.9.9.9, 192.168.1.1"])),
            Some(ip("10.9.9.9"))
        );
        // A broken entry stops the walk at the last address vouched for.
        assert_eq!(
            trusted.client(peer, &headers(&["203.0.113.7, garbage"])),
            peer
        );
    }

    #[test]
    fn mapped_addresses_are_their_ipv4_selves() {
        let trusted = proxies(&["127.0.0.1/32"]);
        assert_eq!(
            trusted.client(Some(ip("::ffff:127.0.0.1")), &headers(&["203.0.113.7"])),
            Some(ip("203.0.113.7"))
        );
    }

    #[test]
    fn networks_parse_from_cidrs_and_addresses() {
        assert!(parse_network("10.0.0.0/8").is_ok());
        assert!(parse_network(" 10.0.0.1 ").is_ok());
        assert!(parse_network("fd00::/8").is_ok());
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("proxy.local").is_err());
    }
}
