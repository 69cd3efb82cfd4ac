//! The gate's lookups against a name server the test runs on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use support::FakeDns;
use thunderphone_ports::{OutboundError, OutboundGate, RefusedRange};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

async fn zone() -> FakeDns {
    FakeDns::answering(&[
        (
            "trunk.test",
            &["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        ),
        ("internal.test", &["10.1.2.3"]),
        ("metadata.test", &["169.254.169.254"]),
        ("mixed.test", &["93.184.215.14", "::1"]),
        ("mapped.test", &["::ffff:127.0.0.1"]),
        ("loop.test", &["127.0.0.1"]),
    ])
    .await
}

#[tokio::test]
async fn a_name_answering_a_public_address_passes() {
    let dns = zone().await;
    let got = dns.gate("").resolve("Trunk.Test.", 5060).await;
    assert_eq!(
        got,
        Ok(vec![
            addr("93.184.215.14:5060"),
            addr("[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:5060"),
        ])
    );
    assert!(dns.queries() >= 2, "A and AAAA were asked");
}

#[tokio::test]
async fn a_name_answering_a_private_address_is_refused() {
    let dns = zone().await;
    let gate = dns.gate("");
    for (host, address, range) in [
        ("internal.test", "10.1.2.3", RefusedRange::Private),
        ("metadata.test", "169.254.169.254", RefusedRange::LinkLocal),
        ("mapped.test", "::ffff:127.0.0.1", RefusedRange::Loopback),
        ("loop.test", "127.0.0.1", RefusedRange::Loopback),
    ] {
        let got = gate.resolve(host, 5060).await;
        assert_eq!(
            got,
            Err(OutboundError::Refused {
                host: host.into(),
                address: address.parse().unwrap(),
                range,
            }),
            "{host}"
        );
    }
}

#[tokio::test]
async fn one_refused_answer_refuses_the_whole_name() {
    let dns = zone().await;
    let got = dns.gate("").resolve("mixed.test", 5060).await;
    assert!(
        matches!(&got, Err(OutboundError::Refused { address, .. }) if *address == IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])),
        "{got:?}"
    );
}

#[tokio::test]
async fn the_allow_list_lets_a_resolved_address_through() {
    let dns = zone().await;
    let gate = dns.gate("127.0.0.0/8");
    assert_eq!(
        gate.resolve("loop.test", 5070).await,
        Ok(vec![addr("127.0.0.1:5070")])
    );
    // Mapped is the IPv4 address it carries, and comes back as that.
    assert_eq!(
        gate.resolve("mapped.test", 5070).await,
        Ok(vec![addr("127.0.0.1:5070")])
    );
    assert!(matches!(
        gate.resolve("internal.test", 5070).await,
        Err(OutboundError::Refused { .. })
    ));
}

#[tokio::test]
async fn an_unknown_name_has_no_address() {
    let dns = zone().await;
    let got = dns.gate("").resolve("nowhere.test", 5060).await;
    assert_eq!(
        got,
        Err(OutboundError::NoAddress {
            host: "nowhere.test".into()
        })
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_bound() {
    let dns = FakeDns::silent().await;
    let started = Instant::now();
    let got = dns.gate("").resolve("stall.test", 5060).await;
    let took = started.elapsed();
    assert_eq!(
        got,
        Err(OutboundError::TimedOut {
            host: "stall.test".into(),
            after: Duration::from_secs(2),
        })
    );
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert!(dns.queries() >= 1, "the server was asked");
}

/// Lookups must not take a thread from the blocking pool, which carries
/// the database calls: with its only thread held, a lookup still answers.
#[test]
fn lookups_never_use_the_blocking_pool() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        let dns = zone().await;
        let gate = dns.gate("");
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let blocker = tokio::task::spawn_blocking(move || {
            let _ = started_tx.send(());
            let _ = held.recv();
        });
        started.await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), gate.resolve("trunk.test", 5060))
            .await
            .expect("the lookup finished with the blocking pool taken");
        assert!(got.is_ok(), "{got:?}");
        release.send(()).unwrap();
        blocker.await.unwrap();
    });
}

/// Many stalled lookups at once each end at the bound: they wait
/// together, not one after another.
#[tokio::test(flavor = "current_thread")]
async fn stalled_lookups_wait_together() {
    let dns = FakeDns::silent().await;
    let gate = std::sync::Arc::new(dns.gate(""));
    let started = Instant::now();
    let lookups: Vec<_> = (0..48)
        .map(|i| {
            let gate = gate.clone();
            tokio::spawn(async move { gate.resolve(&format!("stall{i}.test"), 5060).await })
        })
        .collect();
    for lookup in lookups {
        let got = lookup.await.unwrap();
        assert!(
            matches!(got, Err(OutboundError::TimedOut { .. })),
            "{got:?}"
        );
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
}
