//! Which addresses are refused: IANA's IPv4 and IPv6 special-purpose
//! address registries (plus multicast and, for IPv6, everything outside
//! global unicast `2000::/3`), as CIDR tables. IPv6 addresses that carry
//! an IPv4 address (mapped, NAT64, 6to4) are judged by that address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use thunderphone_ports::RefusedRange;

use RefusedRange::*;

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[allow(clippy::too_many_arguments)]
const fn v6(s: [u16; 8], len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(
        Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
        len,
    )
}

/// Refused IPv4 ranges; the first match names the range.
const IPV4: [(Ipv4Net, RefusedRange); 16] = [
    (v4(0, 0, 0, 0, 8), Unspecified),
    (v4(10, 0, 0, 0, 8), Private),
    (v4(100, 64, 0, 0, 10), Shared),
    (v4(127, 0, 0, 0, 8), Loopback),
    (v4(169, 254, 0, 0, 16), LinkLocal),
    (v4(172, 16, 0, 0, 12), Private),
    // IETF protocol assignments (DS-Lite, PCP and TURN anycast, …).
    (v4(192, 0, 0, 0, 24), Reserved),
    (v4(192, 0, 2, 0, 24), Documentation),
    // The deprecated 6to4 relay anycast.
    (v4(192, 88, 99, 0, 24), Reserved),
    (v4(192, 168, 0, 0, 16), Private),
    (v4(198, 18, 0, 0, 15), Benchmarking),
    (v4(198, 51, 100, 0, 24), Documentation),
    (v4(203, 0, 113, 0, 24), Documentation),
    (v4(224, 0, 0, 0, 4), Multicast),
    (v4(255, 255, 255, 255, 32), Broadcast),
    (v4(240, 0, 0, 0, 4), Reserved),
];

/// Refused IPv6 ranges, after the IPv4-carrying ones were unwrapped; the
/// first match names the range.
const IPV6: [(Ipv6Net, RefusedRange); 16] = [
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), Unspecified),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), Loopback),
    // IPv4-compatible (deprecated by RFC 4291): no route uses them.
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 96), Reserved),
    // Local-use NAT64 (RFC 8215): some private network's translator.
    (v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), Private),
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), Reserved),
    (v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64), Reserved),
    (v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48), Benchmarking),
    // IETF protocol assignments: Teredo, ORCHID, …
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), Reserved),
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), Documentation),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), Documentation),
    // Segment routing SIDs (RFC 9602).
    (v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16), Reserved),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), Private),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), LinkLocal),
    // Site-local (deprecated by RFC 3879).
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), Reserved),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), Multicast),
    // The only IPv6 space allocated for global unicast.
    (v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3), Reserved),
];

/// The global unicast block: inside it, an address no other row matched is
/// callable; outside it, refused.
const GLOBAL_UNICAST: usize = IPV6.len() - 1;

/// NAT64's well-known prefix (RFC 6052): the last 32 bits are IPv4.
const NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
/// 6to4 (RFC 3056): bits 16–47 are IPv4.
const SIX_TO_FOUR: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);

/// The IPv4 address an IPv6 address stands for: IPv4-mapped
/// (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4
/// (`2002:aabb:ccdd::`). A connection to one of these reaches that IPv4
/// host (the kernel, the NAT64 gateway, a 6to4 relay).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let bits = u128::from(ip);
    if NAT64.contains(&ip) {
        return Some(Ipv4Addr::from(bits as u32));
    }
    if SIX_TO_FOUR.contains(&ip) {
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

/// The refused range `ip` is in, or `None` when it may be called.
pub fn classify(ip: IpAddr) -> Option<RefusedRange> {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => match embedded_ipv4(ip) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(ip),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<RefusedRange> {
    IPV4.iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, range)| *range)
}

fn classify_v6(ip: Ipv6Addr) -> Option<RefusedRange> {
    match IPV6.iter().position(|(net, _)| net.contains(&ip)) {
        Some(GLOBAL_UNICAST) => None,
        Some(row) => IPV6.get(row).map(|(_, range)| *range),
        None => Some(Reserved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(ip: &str) -> Option<RefusedRange> {
        match ip.parse::<IpAddr>() {
            Ok(ip) => classify(ip),
            Err(e) => panic!("{ip}: {e}"),
        }
    }

    #[test]
    fn the_registries_row_by_row() {
        for (ip, want) in [
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("10.0.0.1", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("100.64.0.1", Some(Shared)),
            ("100.127.255.254", Some(Shared)),
            ("100.128.0.1", None),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.254", Some(Loopback)),
            ("169.254.169.254", Some(LinkLocal)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.1", None),
            ("192.0.0.9", Some(Reserved)),
            ("192.0.2.10", Some(Documentation)),
            ("192.88.99.1", Some(Reserved)),
            ("192.168.1.1", Some(Private)),
            ("198.18.0.1", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("198.51.100.7", Some(Documentation)),
            ("203.0.113.9", Some(Documentation)),
            ("224.0.0.1", Some(Multicast)),
            ("239.255.255.250", Some(Multicast)),
            ("240.0.0.1", Some(Reserved)),
            ("255.255.255.255", Some(Broadcast)),
            ("8.8.8.8", None),
            ("1.1.1.1", None),
            ("93.184.215.14", None),
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("::127.0.0.1", Some(Reserved)),
            ("::8.8.8.8", Some(Reserved)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::ffff:8.8.8.8", None),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(LinkLocal)),
            ("64:ff9b::808:808", None),
            ("64:ff9b:1::808:808", Some(Private)),
            ("2002:7f00:1::", Some(Loopback)),
            ("2002:a00:1::1", Some(Private)),
            ("2002:808:808::1", None),
            ("100::1", Some(Reserved)),
            ("2001::1", Some(Reserved)),
            ("2001:2::1", Some(Benchmarking)),
            ("2001:db8::1", Some(Documentation)),
            ("3fff::1", Some(Documentation)),
            ("5f00::1", Some(Reserved)),
            ("fc00::1", Some(Private)),
            ("fd12:3456::1", Some(Private)),
            ("fe80::1", Some(LinkLocal)),
            ("fec0::1", Some(Reserved)),
            ("ff02::1", Some(Multicast)),
            ("4000::1", Some(Reserved)),
            ("::ffff:0:7f00:1", Some(Reserved)),
            ("2001:4860:4860::8888", None),
            ("2606:4700:4700::1111", None),
            ("2620:4f:8000::1", None),
        ] {
            assert_eq!(judge(ip), want, "{ip}");
        }
    }

    #[test]
    fn embedded_addresses() {
        let ip = |s: &str| s.parse::<Ipv6Addr>().ok();
        let four = |s: &str| s.parse::<Ipv4Addr>().ok();
        for (v6, v4) in [
            ("::ffff:1.2.3.4", Some("1.2.3.4")),
            ("64:ff9b::102:304", Some("1.2.3.4")),
            ("2002:102:304:5::6", Some("1.2.3.4")),
            ("2001:db8::1", None),
            ("::1.2.3.4", None),
        ] {
            let got = ip(v6).and_then(embedded_ipv4);
            assert_eq!(got, v4.and_then(four), "{v6}");
        }
    }
}
