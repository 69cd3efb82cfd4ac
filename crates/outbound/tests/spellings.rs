//! The gate on its own: a table of hosts, each with what the gate must
//! answer, with a name server that counts queries so that a spelling
//! which reaches DNS is caught.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::net::IpAddr;

use RefusedRange::*;
use support::FakeDns;
use thunderphone_ports::{OutboundError, OutboundGate, RefusedRange};

/// Hosts the gate must refuse with an empty allow list: (host, address it
/// stands for, range).
const REFUSED: &[(&str, &str, RefusedRange)] = &[
    ("127.0.0.1", "127.0.0.1", Loopback),
    ("127.1", "127.0.0.1", Loopback),
    ("127.0.1", "127.0.0.1", Loopback),
    ("2130706433", "127.0.0.1", Loopback),
    ("0x7f000001", "127.0.0.1", Loopback),
    ("0X7F000001", "127.0.0.1", Loopback),
    ("0x7f.1", "127.0.0.1", Loopback),
    ("0177.0.0.1", "127.0.0.1", Loopback),
    ("0177.0.0.01", "127.0.0.1", Loopback),
    ("127.0.0.1.", "127.0.0.1", Loopback),
    ("127.255.255.254", "127.255.255.254", Loopback),
    ("[::1]", "::1", Loopback),
    ("::1", "::1", Loopback),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", Loopback),
    ("[::ffff:7f00:1]", "::ffff:127.0.0.1", Loopback),
    ("[64:ff9b::7f00:1]", "64:ff9b::7f00:1", Loopback),
    ("[2002:7f00:1::1]", "2002:7f00:1::1", Loopback),
    ("0.0.0.0", "0.0.0.0", Unspecified),
    ("0", "0.0.0.0", Unspecified),
    ("[::]", "::", Unspecified),
    ("10.0.0.1", "10.0.0.1", Private),
    ("10.1", "10.0.0.1", Private),
    ("167772161", "10.0.0.1", Private),
    ("172.16.0.1", "172.16.0.1", Private),
    ("192.168.1.1", "192.168.1.1", Private),
    ("0xc0.0xa8.1.1", "192.168.1.1", Private),
    ("[fd00::1]", "fd00::1", Private),
    ("[::ffff:10.0.0.1]", "::ffff:10.0.0.1", Private),
    ("100.64.0.1", "100.64.0.1", Shared),
    ("169.254.169.254", "169.254.169.254", LinkLocal),
    ("169.254.43518", "169.254.169.254", LinkLocal),
    ("0xa9fea9fe", "169.254.169.254", LinkLocal),
    ("[fe80::1]", "fe80::1", LinkLocal),
    ("224.0.0.1", "224.0.0.1", Multicast),
    ("[ff02::1]", "ff02::1", Multicast),
    ("255.255.255.255", "255.255.255.255", Broadcast),
    ("192.0.2.1", "192.0.2.1", Documentation),
    ("[2001:db8::1]", "2001:db8::1", Documentation),
    ("198.18.0.1", "198.18.0.1", Benchmarking),
    ("240.0.0.1", "240.0.0.1", Reserved),
    ("[::127.0.0.1]", "::127.0.0.1", Reserved),
];

/// Literal hosts that may be called, and the address to connect to.
const CALLABLE: &[(&str, &str)] = &[
    ("93.184.215.14", "93.184.215.14"),
    ("1572394766", "93.184.215.14"),
    ("[::ffff:93.184.215.14]", "93.184.215.14"),
    ("[2606:4700:4700::1111]", "2606:4700:4700::1111"),
    ("[64:ff9b::5db8:d70e]", "64:ff9b::5db8:d70e"),
];

const INVALID: &[&str] = &[
    "",
    "1.2.3.4.5",
    "256.0.0.1",
    "4294967296",
    "08.1.1.1",
    "pbx.999",
    "[::1",
    "[127.0.0.1]",
    "fe80::1%eth0",
    "a_b c",
];

#[tokio::test]
async fn each_spelling_gets_its_answer_without_dns() {
    let dns = FakeDns::answering(&[]).await;
    let gate = dns.gate("");
    for &(host, address, range) in REFUSED {
        let want = Err(OutboundError::Refused {
            host: host.into(),
            address: address.parse().unwrap(),
            range,
        });
        assert_eq!(gate.resolve(host, 5060).await, want, "resolve {host}");
        assert_eq!(
            gate.check_literal(host),
            want.map(|_| None),
            "check_literal {host}"
        );
    }
    for &(host, address) in CALLABLE {
        let ip: IpAddr = address.parse().unwrap();
        let got = gate.resolve(host, 5060).await;
        assert_eq!(got, Ok(vec![std::net::SocketAddr::new(ip, 5060)]), "{host}");
        assert_eq!(gate.check_literal(host), Ok(Some(ip)), "{host}");
    }
    for &host in INVALID {
        let want = Err(OutboundError::InvalidHost { host: host.into() });
        assert_eq!(gate.resolve(host, 5060).await, want.clone(), "{host:?}");
        assert_eq!(gate.check_literal(host), want.map(|_| None), "{host:?}");
    }
    assert_eq!(dns.queries(), 0, "no spelling may reach DNS");
}

#[tokio::test]
async fn localhost_is_loopback_without_dns() {
    let dns = FakeDns::answering(&[("localhost", &["93.184.215.14"])]).await;
    let gate = dns.gate("");
    for host in ["localhost", "LOCALHOST.", "api.localhost"] {
        let got = gate.resolve(host, 5060).await;
        assert!(
            matches!(
                &got,
                Err(OutboundError::Refused {
                    range: Loopback,
                    ..
                })
            ),
            "{host}: {got:?}"
        );
        assert!(gate.check_literal(host).is_err(), "{host}");
    }
    let both = dns.gate("127.0.0.0/8,::1");
    assert_eq!(
        both.resolve("localhost", 7).await.map(|a| a.len()),
        Ok(2),
        "127.0.0.1 and ::1"
    );
    assert_eq!(both.check_literal("localhost"), Ok(None));
    // Only IPv4 loopback allowed: ::1 still refuses the name.
    assert!(
        dns.gate("127.0.0.0/8")
            .resolve("localhost", 7)
            .await
            .is_err()
    );
    assert_eq!(dns.queries(), 0);
}

#[tokio::test]
async fn names_are_only_judged_when_resolved() {
    let dns = FakeDns::answering(&[]).await;
    assert_eq!(dns.gate("").check_literal("pbx.example.com"), Ok(None));
    assert_eq!(dns.queries(), 0);
}
