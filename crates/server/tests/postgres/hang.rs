//! A database that hangs (sockets stay open, nothing comes back): every
//! request still gets an answer in bounded time, `/readyz` within 2 s.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use thunderphone_server::{Config, Overrides, start};
use thunderphone_test_db::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::harness::{ADMIN, Api};
use thunderphone_domain::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Bytes flow both ways.
    Forward,
    /// Connections are accepted and kept, bytes are read and never passed
    /// on: what a stuck database or a black-holing network looks like.
    Hang,
    /// Every connection is closed.
    Cut,
}

/// Waits while the proxy hangs; false once it is cut.
async fn may_forward(mode: &mut watch::Receiver<Mode>) -> bool {
    loop {
        match *mode.borrow_and_update() {
            Mode::Forward => return true,
            Mode::Cut => return false,
            Mode::Hang => {}
        }
        if mode.changed().await.is_err() {
            return false;
        }
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut mode: watch::Receiver<Mode>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            () = cut(mode.clone()) => return,
        };
        if !may_forward(&mut mode).await || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn cut(mut mode: watch::Receiver<Mode>) {
    let _ = mode.wait_for(|m| *m == Mode::Cut).await;
}

async fn proxy(upstream: SocketAddr, mode: watch::Receiver<Mode>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let mode = mode.clone();
            tokio::spawn(async move {
                if *mode.borrow() != Mode::Forward {
                    // Held open, never answered, closed when cut.
                    cut(mode).await;
                    drop(client);
                    return;
                }
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::join!(
                    pump(client_read, server_write, mode.clone()),
                    pump(server_read, client_write, mode),
                );
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hanging_database_is_a_bounded_503_and_readyz_answers_within_2_s() {
    let db = TestDb::create();
    assert!(db.url().contains("127.0.0.1:5432"), "{}", db.url());
    let (switch, mode) = watch::channel(Mode::Forward);
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxied = db
        .url()
        .replace("127.0.0.1:5432", &proxy(upstream, mode).await.to_string());
    let mut config = Config::for_tests();
    config.database.url = Some(Secret::new(proxied));
    config.secrets.admin_token = Some(Secret::new(ADMIN));
    config.limits.rate_limit_per_sec = 0;
    config.database.connect_timeout_ms = 500;
    config.database.statement_timeout_ms = 1000;
    let running = start(&config, Overrides::default()).await.unwrap();
    let base = format!("http://{}", running.addr);
    let api = Api::new();
    let (_, _, key) = api.tenant(&base, "acme").await;

    switch.send_replace(Mode::Hang);
    // Connect (0.5 s) + statement (1 s) + 1 s of grace, and some slack.
    let request_bound = Duration::from_millis(3_000);
    let probes = [
        ("/readyz", 503, Duration::from_millis(2_500)),
        ("/v1/me", 503, request_bound),
        ("/v1/phone-numbers", 503, request_bound),
        // Metrics skip the store's counts rather than wait for them.
        ("/metrics", 200, request_bound),
    ];
    let calls = probes.iter().map(|(path, status, bound)| {
        let api = api.clone();
        let (url, key) = (format!("{base}{path}"), key.clone());
        async move {
            let started = Instant::now();
            let res = api.client.get(&url).bearer_auth(&key).send().await.unwrap();
            let took = started.elapsed();
            assert_eq!(res.status().as_u16(), *status, "{path}");
            assert!(took < *bound, "{path} took {took:?}, bound {bound:?}");
            if *status == 503 {
                assert_eq!(res.headers()["content-type"], "application/problem+json");
                let problem: serde_json::Value = res.json().await.unwrap();
                assert_eq!(problem["code"], "unavailable", "{path}: {problem}");
            }
        }
    });
    futures::future::join_all(calls).await;
    // And again, now that every pooled connection is stuck.
    let started = Instant::now();
    let (status, _) = api.get(&base, "/readyz", &key).await;
    assert_eq!(status, 503);
    assert!(started.elapsed() < Duration::from_millis(2_500));

    // Closing the stuck sockets frees the threads waiting on them.
    switch.send_replace(Mode::Cut);
    running.stop().await;
    drop(db);
}
