//! The SIP verifier reaches a trunk only through the outbound gate
//! (API.md §15): a refused destination is a failed check and gets no
//! packet; an allowed one gets OPTIONS at exactly the address the gate
//! checked.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/mod.rs"]
mod common;
#[path = "sip/peer.rs"]
#[allow(dead_code)]
mod peer;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{check, connection, number};
use peer::Scenario;
use thunderphone_carriers::{SipVerifier, SipVerifierConfig};
use thunderphone_domain::{SipPassword, SipUsername, VoipCredentials, VoipProvider};
use thunderphone_outbound::{DnsGate, GateConfig};
use thunderphone_ports::{
    CheckOutcome, MockOutboundGate, OutboundError, OutboundGate, VoipVerifier,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};

const REFUSED: &str = "resolves to a private address, which this server does not call";

fn verifier(gate: Arc<dyn OutboundGate>) -> SipVerifier {
    SipVerifier::new(
        SipVerifierConfig {
            options_timeout: Duration::from_millis(500),
            public_address: None,
        },
        gate,
    )
}

fn creds() -> VoipCredentials {
    VoipCredentials::Sip {
        username: Some(SipUsername::parse("pbx-user").unwrap()),
        password: Some(SipPassword::parse("pbx-secret").unwrap()),
    }
}

async fn verify(gate: Arc<dyn OutboundGate>, uri: &str) -> Vec<CheckOutcome> {
    verifier(gate)
        .verify(
            &connection(VoipProvider::Sip, Some(uri)),
            &creds(),
            &number("+14155550123"),
        )
        .await
}

/// UDP and TCP listeners on one loopback port (IPv4, and IPv6 where the
/// machine has it) that nothing may reach.
struct Trap {
    port: u16,
    udp: Vec<UdpSocket>,
    tcp: Vec<TcpListener>,
}

impl Trap {
    async fn bind() -> Self {
        loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let port = udp.local_addr().unwrap().port();
            let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await else {
                continue;
            };
            let mut trap = Trap {
                port,
                udp: vec![udp],
                tcp: vec![tcp],
            };
            if let (Ok(u), Ok(t)) = (
                UdpSocket::bind(("::1", port)).await,
                TcpListener::bind(("::1", port)).await,
            ) {
                trap.udp.push(u);
                trap.tcp.push(t);
            }
            return trap;
        }
    }

    /// Sends a marker to each listener and checks that it is the first
    /// thing each received: on loopback, anything sent before it would
    /// have arrived before it.
    async fn assert_untouched(&self) {
        for socket in &self.udp {
            let to = socket.local_addr().unwrap();
            let from = UdpSocket::bind(SocketAddr::new(to.ip(), 0)).await.unwrap();
            from.send_to(b"marker", to).await.unwrap();
            let mut buf = [0u8; 2048];
            let (n, sender) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(
                (&buf[..n], sender),
                (&b"marker"[..], from.local_addr().unwrap()),
                "a datagram reached {to} before the marker"
            );
        }
        for listener in &self.tcp {
            let to = listener.local_addr().unwrap();
            let mut marker = TcpStream::connect(to).await.unwrap();
            marker.write_all(b"marker").await.unwrap();
            let (_, peer) = listener.accept().await.unwrap();
            assert_eq!(
                peer,
                marker.local_addr().unwrap(),
                "a connection reached {to} before the marker"
            );
        }
    }
}

#[tokio::test]
async fn a_refused_destination_is_a_failed_check_and_gets_no_packet() {
    let trap = Trap::bind().await;
    let gate: Arc<dyn OutboundGate> = Arc::new(DnsGate::new(GateConfig::default()));
    let port = trap.port;
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
    ] {
        for params in ["", ";transport=tcp"] {
            let uri = format!("sip:{host}:{port}{params}");
            let checks = verify(gate.clone(), &uri).await;
            let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["credentials", "outbound_trunking"], "{uri}");
            let credentials = check(&checks, "credentials");
            assert!(!credentials.passed, "{uri}");
            assert!(
                credentials.detail.starts_with("not checked"),
                "{uri}: {credentials:?}"
            );
            let outbound = check(&checks, "outbound_trunking");
            assert!(!outbound.passed, "{uri}");
            assert!(
                outbound.detail.contains(REFUSED),
                "{uri}: {}",
                outbound.detail
            );
            assert!(!outbound.detail.contains("pbx-"), "{}", outbound.detail);
        }
    }
    trap.assert_untouched().await;
}

#[tokio::test]
async fn options_go_to_exactly_the_address_the_gate_checked() {
    let peer = peer::udp(Scenario::Answer(200, "OK")).await;
    let addr = peer.addr;
    let mut gate = MockOutboundGate::new();
    gate.expect_resolve()
        .withf(|host, port| host == "trunk.example" && *port == 5060)
        .times(1)
        .returning(move |_, _| Ok(vec![addr]));
    let checks = verify(Arc::new(gate), "sip:trunk.example").await;
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    let requests = peer.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("OPTIONS sip:trunk.example SIP/2.0\r\n"),
        "{}",
        requests[0]
    );
}

#[tokio::test]
async fn a_lookup_that_fails_is_a_failed_check() {
    for (error, detail) in [
        (
            OutboundError::TimedOut {
                host: "stall.example".into(),
                after: Duration::from_secs(2),
            },
            "could not resolve stall.example within 2 s; check the termination URI and DNS",
        ),
        (
            OutboundError::NoAddress {
                host: "stall.example".into(),
            },
            "stall.example has no address; check the termination URI",
        ),
    ] {
        let mut gate = MockOutboundGate::new();
        gate.expect_resolve()
            .times(1)
            .returning(move |_, _| Err(error.clone()));
        let checks = verify(Arc::new(gate), "sip:stall.example").await;
        assert_eq!(check(&checks, "outbound_trunking").detail, detail);
        assert!(!check(&checks, "credentials").passed);
    }
}
