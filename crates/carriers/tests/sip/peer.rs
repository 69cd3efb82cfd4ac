//! A SIP trunk written for the tests: answers OPTIONS over UDP or TCP the
//! way a scenario says, and checks digest answers itself, server-side.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

/// How the peer answers.
#[derive(Debug, Clone)]
pub enum Scenario {
    /// Always this status.
    Answer(u16, &'static str),
    /// 401 (or 407 with `proxy`) until a request carries a digest that
    /// matches `user`/`password`; then 200. A wrong digest gets 401 again.
    Challenge {
        user: &'static str,
        password: &'static str,
        proxy: bool,
    },
    /// A 401 challenge, then 403 to whatever digest comes back.
    ChallengeThen403,
    /// Drops the first request (a lost datagram), answers 200 after.
    DropFirst,
    /// 100 Trying, then 200 OK.
    TryingThenOk,
    /// Bytes that are not SIP.
    Garbage,
    /// Never answers.
    Silent,
}

pub const REALM: &str = "thunderphone.test";
pub const NONCE: &str = "4a1b9c2d3e";

/// A running peer: its address and what it saw.
pub struct Peer {
    pub addr: SocketAddr,
    /// Every request received, then "digest ok" / "digest bad" notes.
    pub log: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Peer {
    pub fn requests(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("OPTIONS"))
            .cloned()
            .collect()
    }

    pub fn notes(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| !l.starts_with("OPTIONS"))
            .cloned()
            .collect()
    }
}

fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn hex_md5(data: &str) -> String {
    Md5::digest(data.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a digest answer the way a registrar does (RFC 2617, qop=auth).
fn digest_ok(value: &str, user: &str, password: &str, request_uri: &str) -> bool {
    let Some(params) = value.strip_prefix("Digest ") else {
        return false;
    };
    let get = |key: &str| {
        params.split(", ").find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k == key).then(|| v.trim_matches('"').to_owned())
        })
    };
    let (Some(u), Some(realm), Some(nonce), Some(uri), Some(response)) = (
        get("username"),
        get("realm"),
        get("nonce"),
        get("uri"),
        get("response"),
    ) else {
        return false;
    };
    if u != user || realm != REALM || nonce != NONCE || uri != request_uri {
        return false;
    }
    let ha1 = hex_md5(&format!("{user}:{REALM}:{password}"));
    let ha2 = hex_md5(&format!("OPTIONS:{uri}"));
    let expected = match (get("qop"), get("nc"), get("cnonce")) {
        (Some(qop), Some(nc), Some(cnonce)) => {
            hex_md5(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))
        }
        _ => return false,
    };
    expected == response
}

fn reply(request: &str, code: u16, reason: &str, extra: &str) -> String {
    let copy = |name: &str| header(request, name).unwrap_or_default().to_owned();
    format!(
        "SIP/2.0 {code} {reason}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=peer\r\nCall-ID: {}\r\nCSeq: {}\r\n{extra}Content-Length: 0\r\n\r\n",
        copy("Via"),
        copy("From"),
        copy("To"),
        copy("Call-ID"),
        copy("CSeq"),
    )
}

/// The answers to the `count`-th request (1-based).
fn answer(
    scenario: &Scenario,
    request: &str,
    count: usize,
    log: &Mutex<Vec<String>>,
) -> Vec<String> {
    match scenario {
        Scenario::Answer(code, reason) => vec![reply(request, *code, reason, "")],
        Scenario::Challenge {
            user,
            password,
            proxy,
        } => {
            let (ask, answer_header, code, reason) = if *proxy {
                (
                    "Proxy-Authenticate",
                    "Proxy-Authorization",
                    407,
                    "Proxy Authentication Required",
                )
            } else {
                ("WWW-Authenticate", "Authorization", 401, "Unauthorized")
            };
            let request_uri = request.split(' ').nth(1).unwrap_or_default();
            if let Some(value) = header(request, answer_header) {
                let ok = digest_ok(value, user, password, request_uri);
                log.lock()
                    .unwrap()
                    .push(if ok { "digest ok" } else { "digest bad" }.into());
                if ok {
                    return vec![reply(request, 200, "OK", "")];
                }
            }
            let challenge = format!(
                "{ask}: Digest realm=\"{REALM}\", nonce=\"{NONCE}\", algorithm=MD5, qop=\"auth\"\r\n"
            );
            vec![reply(request, code, reason, &challenge)]
        }
        Scenario::ChallengeThen403 if count == 1 => {
            let challenge = format!(
                "WWW-Authenticate: Digest realm=\"{REALM}\", nonce=\"{NONCE}\", algorithm=MD5, qop=\"auth\"\r\n"
            );
            vec![reply(request, 401, "Unauthorized", &challenge)]
        }
        Scenario::ChallengeThen403 => vec![reply(request, 403, "Forbidden", "")],
        Scenario::DropFirst if count == 1 => Vec::new(),
        Scenario::DropFirst => vec![reply(request, 200, "OK", "")],
        Scenario::TryingThenOk => vec![
            reply(request, 100, "Trying", ""),
            reply(request, 200, "OK", ""),
        ],
        Scenario::Garbage => vec!["HTTP/1.1 400 Bad Request\r\n\r\n".into()],
        Scenario::Silent => Vec::new(),
    }
}

/// A UDP peer on 127.0.0.1.
pub async fn udp(scenario: Scenario) -> Peer {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        let mut count = 0;
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            count += 1;
            seen.lock().unwrap().push(request.clone());
            for message in answer(&scenario, &request, count, &seen) {
                let _ = socket.send_to(message.as_bytes(), from).await;
            }
        }
    });
    Peer { addr, log, task }
}

/// A TCP peer on 127.0.0.1: reads requests off each connection in turn.
pub async fn tcp(scenario: Scenario) -> Peer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let task = tokio::spawn(async move {
        let mut count = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf: Vec<u8> = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                // Our requests have no body: a request ends at the blank line.
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    continue;
                };
                let request = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
                buf.drain(..end + 4);
                count += 1;
                seen.lock().unwrap().push(request.clone());
                // Split each answer over two writes to exercise framing.
                for message in answer(&scenario, &request, count, &seen) {
                    let (a, b) = message.as_bytes().split_at(message.len() / 2);
                    let _ = stream.write_all(a).await;
                    let _ = stream.flush().await;
                    let _ = stream.write_all(b).await;
                }
            }
        }
    });
    Peer { addr, log, task }
}
