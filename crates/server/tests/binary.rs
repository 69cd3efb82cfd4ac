//! The real binary: `serve --demo` prints a working key, SIGTERM lets a
//! request in flight finish before the process exits 0, and nothing it
//! logs ever contains a credential.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `thunderphone serve --demo` and reads the key from its banner.
fn start_demo(port: u16) -> (Child, String) {
    start_demo_logging(port, "warn", Stdio::null())
}

fn start_demo_logging(port: u16, filter: &str, stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_thunderphone"))
        .args(["serve", "--demo"])
        .env("THUNDERPHONE_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", filter)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut key = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(k) = line.trim().strip_prefix("export TP_KEY=") {
            key = Some(k.to_owned());
        }
        if line.contains("curl -s") {
            break;
        }
    }
    (child, key.expect("the demo banner prints a key"))
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < within,
            "the server did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_zero() {
    let port = free_port();
    let (mut child, key) = start_demo(port);
    let body = br#"{"name": "Slow agent"}"#;
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A first, complete request on this keep-alive connection proves a
    // worker serves it before the one that will be in flight.
    write!(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 512];
    let n = conn.read(&mut first).unwrap();
    assert!(
        first[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..n])
    );
    // Headers and half the body: the request is now in flight.
    write!(
        conn,
        "POST /v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(&body[..10]).unwrap();
    conn.flush().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    sigterm(&child);
    std::thread::sleep(Duration::from_millis(300));
    // New connections are refused while the old one is served.
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "stopped accepting"
    );
    conn.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("Slow agent"));
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn an_idle_server_exits_zero_on_sigterm() {
    let port = free_port();
    let (mut child, key) = start_demo(port);
    assert!(key.starts_with("tpk_"));
    let started = Instant::now();
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// Sends one request and returns the raw response.
fn http(port: u16, method: &str, path: &str, key: &str, body: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn logs_never_contain_credentials() {
    let port = free_port();
    let log = std::env::temp_dir().join(format!(
        "thunderphone-log-{}-{port}.txt",
        std::process::id()
    ));
    let file = std::fs::File::create(&log).unwrap();
    let (mut child, key) = start_demo_logging(port, "trace", Stdio::from(file));
    let secrets = [
        "twilio-token-7f3a9c",
        "telnyx-key-b81d22",
        "sip-pass-c0ffee",
        "AC5ec7e75dd1ab0000000000000000c0de",
    ];
    let bodies = [
        format!(
            r#"{{"name":"T","provider":"twilio","credentials":{{"account_sid":"{}","auth_token":"{}"}}}}"#,
            secrets[3], secrets[0]
        ),
        format!(
            r#"{{"name":"X","provider":"telnyx","credentials":{{"api_key":"{}"}}}}"#,
            secrets[1]
        ),
        format!(
            r#"{{"name":"S","provider":"sip","termination_uri":"sip:127.0.0.1:9","credentials":{{"username":"u","password":"{}"}}}}"#,
            secrets[2]
        ),
        // Invalid bodies must not echo secrets in errors either.
        format!(
            r#"{{"name":"S","provider":"sip","credentials":{{"username":"u","password":"{}","bogus":1}}}}"#,
            secrets[2]
        ),
        format!(
            r#"{{"name":"","provider":"telnyx","credentials":{{"api_key":"{}"}}}}"#,
            secrets[1]
        ),
    ];
    let mut responses = String::new();
    for body in &bodies {
        responses.push_str(&http(port, "POST", "/v1/voip-connections", &key, body));
    }
    assert!(responses.contains("HTTP/1.1 201"), "{responses}");
    let imported = http(
        port,
        "POST",
        "/v1/voip-connections/3/import",
        &key,
        r#"{"numbers":["+12125552142"]}"#,
    );
    assert!(
        imported.starts_with("HTTP/1.1 201"),
        "import answered {:?}",
        imported
    );
    let id = imported
        .split("\"id\":")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    responses.push_str(&http(
        port,
        "POST",
        &format!("/v1/phone-numbers/{id}/verify-voip"),
        &key,
        "",
    ));
    responses.push_str(&http(port, "GET", "/v1/voip-connections", &key, ""));
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(15)).success());
    let logged = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).ok();
    assert!(logged.len() > 1000, "trace logging produced output");
    for secret in secrets {
        assert!(!logged.contains(secret), "log contains {secret}");
        assert!(!responses.contains(secret), "a response contains {secret}");
    }
}
