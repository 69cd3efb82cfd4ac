//! The decision for one address: refused by its range unless the
//! operator's allow list (`THUNDERPHONE_OUTBOUND_ALLOW`) covers it.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use thunderphone_ports::RefusedRange;

use crate::ranges::{classify, embedded_ipv4};

/// CIDRs whose addresses may be called although their range is refused
/// (a test's loopback peer, a trunk on the operator's own network).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

/// An allow list entry that is not a CIDR or an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a CIDR (like 10.0.0.0/8 or fd00::/8) or an IP address")]
pub struct BadCidr(pub String);

impl AllowList {
    /// Allows these networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// The networks.
    pub fn nets(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether `ip`, or the IPv4 address it stands for, is covered.
    pub fn covers(&self, ip: IpAddr) -> bool {
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.0
            .iter()
            .any(|net| net.contains(&ip) || embedded.is_some_and(|v4| net.contains(&v4)))
    }
}

impl FromStr for AllowList {
    type Err = BadCidr;

    /// Comma-separated CIDRs; a bare address is a /32 or /128; blanks and
    /// empty entries are ignored, so "" is the empty list.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| BadCidr(entry.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&nets.join(","))
    }
}

/// Judges addresses.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    allow: AllowList,
}

impl Policy {
    /// Refuses the special-purpose ranges except what `allow` covers.
    pub fn new(allow: AllowList) -> Self {
        Self { allow }
    }

    /// Whether the operator's allow list covers `ip` (as written or as the
    /// IPv4 address an IPv4-mapped one is).
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.covers(ip) || self.allow.covers(ip.to_canonical())
    }

    /// The address to connect to, or the range that refuses it. An
    /// IPv4-mapped address comes back as the IPv4 address it is (the same
    /// host, and it works on sockets without dual-stack).
    ///
    /// # Errors
    /// The refused range.
    pub fn check(&self, ip: IpAddr) -> Result<IpAddr, RefusedRange> {
        if self.allow.covers(ip) {
            return Ok(ip.to_canonical());
        }
        match classify(ip) {
            Some(range) => Err(range),
            None => Ok(ip.to_canonical()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn allow_lists_parse() {
        assert_eq!("".parse::<AllowList>(), Ok(AllowList::default()));
        assert_eq!(" , ".parse::<AllowList>(), Ok(AllowList::default()));
        let list: AllowList = "127.0.0.0/8, ::1, 10.1.2.3".parse().unwrap_or_default();
        assert_eq!(list.to_string(), "127.0.0.0/8,::1/128,10.1.2.3/32");
        assert_eq!(
            "10.0.0.0/33".parse::<AllowList>(),
            Err(BadCidr("10.0.0.0/33".into()))
        );
        assert_eq!(
            "localhost".parse::<AllowList>(),
            Err(BadCidr("localhost".into()))
        );
    }

    #[test]
    fn the_allow_list_overrides_the_range() {
        let empty = Policy::default();
        assert_eq!(empty.check(ip("127.0.0.1")), Err(RefusedRange::Loopback));
        assert_eq!(empty.check(ip("8.8.8.8")), Ok(ip("8.8.8.8")));
        assert_eq!(empty.check(ip("::ffff:8.8.8.8")), Ok(ip("8.8.8.8")));

        let loopback = Policy::new("127.0.0.0/8".parse().unwrap_or_default());
        assert_eq!(loopback.check(ip("127.0.0.1")), Ok(ip("127.0.0.1")));
        assert_eq!(loopback.check(ip("127.5.5.5")), Ok(ip("127.5.5.5")));
        assert_eq!(loopback.check(ip("::ffff:127.0.0.1")), Ok(ip("127.0.0.1")));
        assert_eq!(loopback.check(ip("::1")), Err(RefusedRange::Loopback));
        assert_eq!(loopback.check(ip("10.0.0.1")), Err(RefusedRange::Private));
        assert_eq!(
            loopback.check(ip("169.254.169.254")),
            Err(RefusedRange::LinkLocal)
        );
    }
}
