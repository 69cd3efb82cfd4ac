//! Outbound safety end to end (API.md §15), with the real SIP verifier and
//! the real gate: refused destinations get no packet, a stalled name
//! server in one org leaves another org's requests alone, and the
//! instance's outbound budget answers 503 beyond its bound. Everything the
//! tests listen on, and everything the server may contact, is loopback.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use thunderphone_outbound::NameServers;
use thunderphone_server::{Config, Overrides};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::watch;

use crate::support::{Response, Tenant, TestApp, test_config};

const REFUSED: &str = "resolves to a private address, which this server does not call";

/// The server with the verifier `config` describes (not the scripted one).
async fn spawn_real(config: Config) -> TestApp {
    let verifier = thunderphone_server::carriers::verifier(&config).unwrap();
    let overrides = Overrides {
        verifier: Some(verifier),
        ..Default::default()
    };
    TestApp::spawn_with(config, overrides).await
}

fn config(allow: &str) -> Config {
    let mut config = test_config();
    config.carriers.verify_timeout_secs = 10;
    config.carriers.sip_options_timeout_ms = 500;
    config.outbound.allow = allow.parse().unwrap();
    config
}

/// A number imported through a new SIP connection to `uri`.
async fn number_on(app: &TestApp, t: &Tenant, uri: &str, number: &str) -> i64 {
    let connection = app.sip_connection(&t.key, uri).await;
    let r = app.import(&t.key, connection, &[number]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["data"][0]["id"].as_i64().unwrap()
}

async fn verify(app: &TestApp, t: &Tenant, id: i64) -> Response {
    app.post(
        &format!("/v1/phone-numbers/{id}/verify-voip"),
        &t.key,
        json!({}),
    )
    .await
}

fn check<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {body}"))
}

/// A verification that ran and failed its outbound check with `detail`.
#[track_caller]
fn assert_failed_with(r: &Response, detail: &str) {
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["verification"]["result"], "failed", "{:?}", r.body);
    let outbound = check(&r.body, "outbound_trunking");
    assert_eq!(outbound["passed"], false, "{outbound}");
    let text = outbound["detail"].as_str().unwrap();
    assert!(text.contains(detail), "{text}");
    assert!(!text.contains("pbx-user"), "{text}");
    assert_eq!(check(&r.body, "credentials")["passed"], false);
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
    /// thing each received: on loopback, anything sent earlier would have
    /// arrived earlier.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_destinations_fail_the_check_and_get_no_packet() {
    let trap = Trap::bind().await;
    let app = spawn_real(config("")).await;
    let t = app.tenant("owner").await;
    let port = trap.port;
    let mut n = 1000;
    // Loopback first, where the trap listens: if the gate let anything
    // through, the test stops here, before any other range is tried.
    for host in [
        "127.0.0.1",
        "localhost",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
    ] {
        for params in ["", ";transport=tcp"] {
            n += 1;
            let uri = format!("sip:{host}:{port}{params}");
            let id = number_on(&app, &t, &uri, &format!("+1415201{n}")).await;
            assert_failed_with(&verify(&app, &t, id).await, REFUSED);
        }
    }
    trap.assert_untouched().await;
    for host in [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "[fd00::1]",
        "[fe80::1]",
    ] {
        n += 1;
        let uri = format!("sip:{host}:{port}");
        let id = number_on(&app, &t, &uri, &format!("+1415201{n}")).await;
        let r = verify(&app, &t, id).await;
        assert_failed_with(&r, REFUSED);
        assert_eq!(r.body["voip_verification_status"], "failed");
    }
    app.stop().await;
}

/// A name server on loopback that reads every query and answers none,
/// publishing how many distinct names it was asked about.
async fn black_hole_dns() -> (SocketAddr, watch::Receiver<usize>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let (tx, rx) = watch::channel(0);
    tokio::spawn(async move {
        let mut names = HashSet::new();
        let mut buf = vec![0u8; 4096];
        while let Ok((n, _)) = socket.recv_from(&mut buf).await {
            if let Some(name) = question_name(&buf[..n]) {
                names.insert(name);
                tx.send_replace(names.len());
            }
        }
    });
    (addr, rx)
}

/// The first question's name of a DNS query, lower case.
fn question_name(packet: &[u8]) -> Option<String> {
    let mut labels = Vec::new();
    let mut at = 12;
    loop {
        let len = usize::from(*packet.get(at)?);
        if len == 0 {
            return Some(labels.join(".").to_ascii_lowercase());
        }
        let label = packet.get(at + 1..at + 1 + len)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + len;
    }
}

/// Verifies in one org whose trunks' names never resolve (the name server
/// never answers) must not slow another org's requests, and each must
/// answer within its bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_name_server_in_one_org_leaves_another_org_alone() {
    const STALLED: usize = 32;
    let (dns, mut asked) = black_hole_dns().await;
    let mut config = config("");
    config.outbound.dns_servers = NameServers::List(vec![dns]);
    let app = Arc::new(spawn_real(config).await);
    let a = app.tenant("owner").await;
    let b = app.tenant("owner").await;
    let mut ids = Vec::new();
    for i in 0..STALLED {
        let uri = format!("sip:stall{i}.example.test");
        ids.push(number_on(&app, &a, &uri, &format!("+1415201{}", 2000 + i)).await);
    }
    let first_done: Arc<Mutex<Option<Instant>>> = Arc::default();
    let verifies: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let (app, a, first_done) = (app.clone(), a.clone(), first_done.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let r = verify(&app, &a, id).await;
                let took = started.elapsed();
                first_done.lock().unwrap().get_or_insert_with(Instant::now);
                (r, took)
            })
        })
        .collect();
    // Every verification is waiting on the name server.
    asked.wait_for(|names| *names >= STALLED).await.unwrap();

    let mut slowest = Duration::ZERO;
    for _ in 0..40 {
        let started = Instant::now();
        let r = app.get("/v1/me", &b.key).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let b_done = Instant::now();
    assert!(
        slowest < Duration::from_secs(1),
        "another org's GET /v1/me took {slowest:?} during the stall"
    );

    for verify in verifies {
        let (r, took) = verify.await.unwrap();
        assert!(
            took < Duration::from_secs(11),
            "a verification took {took:?}, beyond its 10 s bound"
        );
        assert_failed_with(&r, "could not resolve stall");
        assert_failed_with(&r, "within 2 s");
    }
    let first_done = first_done.lock().unwrap().unwrap();
    assert!(
        b_done < first_done,
        "the other org's requests ran while the verifications were stalled"
    );
    Arc::try_unwrap(app).ok().unwrap().stop().await;
}

/// A SIP peer on loopback that never answers, publishing how many
/// distinct requests (by Call-ID) reached it.
async fn silent_peer() -> (u16, watch::Receiver<usize>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let (tx, rx) = watch::channel(0);
    tokio::spawn(async move {
        let mut calls = HashSet::new();
        let mut buf = vec![0u8; 8192];
        while let Ok((n, _)) = socket.recv_from(&mut buf).await {
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            if let Some(id) = request
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("call-id:"))
            {
                calls.insert(id.to_owned());
                tx.send_replace(calls.len());
            }
        }
    });
    (port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_verification_beyond_the_outbound_bound_is_503_with_retry_after() {
    let (port, mut reached) = silent_peer().await;
    // The peer is on loopback: this test allows it.
    let mut config = config("127.0.0.0/8");
    config.outbound.concurrency = 2;
    config.carriers.sip_options_timeout_ms = 2000;
    let app = Arc::new(spawn_real(config).await);
    let t = app.tenant("owner").await;
    let uri = format!("sip:127.0.0.1:{port}");
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(number_on(&app, &t, &uri, &format!("+1415201{}", 3000 + i)).await);
    }
    let in_flight: Vec<_> = ids[..2]
        .iter()
        .map(|&id| {
            let (app, t) = (app.clone(), t.clone());
            tokio::spawn(async move { verify(&app, &t, id).await })
        })
        .collect();
    // Both permits are taken once both verifications reached the peer.
    reached.wait_for(|calls| *calls >= 2).await.unwrap();

    let r = verify(&app, &t, ids[2]).await;
    r.assert_problem(503, "unavailable");
    assert_eq!(r.header("retry-after"), Some("1"), "{:?}", r.headers);
    assert!(
        r.body["detail"].as_str().unwrap().contains("in flight"),
        "{:?}",
        r.body
    );
    let unchanged = app
        .get(&format!("/v1/phone-numbers/{}", ids[2]), &t.key)
        .await;
    assert_eq!(
        unchanged.body["voip_verification_status"], "unverified",
        "{:?}",
        unchanged.body
    );

    for verify in in_flight {
        assert_failed_with(&verify.await.unwrap(), "timed out");
    }
    // The permits came back.
    assert_failed_with(&verify(&app, &t, ids[3]).await, "timed out");
    Arc::try_unwrap(app).ok().unwrap().stop().await;
}
