//! Loopback receivers and gates for the sender's tests. Nothing here
//! reaches beyond 127.0.0.1.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use thunderphone_domain::WebhookUrl;
use thunderphone_outbound::{DnsGate, GateConfig};
use thunderphone_ports::{OutboundError, OutboundGate, RefusedRange, SigningKey, WebhookRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a receiver does with each request.
#[derive(Clone)]
pub enum Answer {
    /// A status line, extra header lines (each ending in `\r\n`) and a body.
    With {
        status: u16,
        headers: String,
        body: String,
    },
    /// Reads the request and never answers.
    Silent,
    /// 200 with a gigabyte `Content-Length`, written until the peer goes.
    Endless,
    /// Not HTTP: garbage bytes, then close.
    Garbage,
    /// 200 promising 100 bytes, sending 10, then nothing.
    Stalled,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self::With {
            status,
            headers: String::new(),
            body: format!("{{\"status\":{status}}}"),
        }
    }
}

/// One request as the receiver read it.
#[derive(Debug, Clone)]
pub struct Received {
    /// `POST /hook HTTP/1.1`.
    pub request_line: String,
    /// Header names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.1 receiver on 127.0.0.1 that counts connections.
pub struct Receiver {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (c, r) = (Arc::clone(&connections), Arc::clone(&received));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, answer.clone(), Arc::clone(&r)));
            }
        });
        Self {
            addr,
            connections,
            received,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Connections seen after giving a late one time to arrive.
    pub async fn connections_after_a_moment(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.connections()
    }
}

async fn serve(mut stream: TcpStream, answer: Answer, received: Arc<Mutex<Vec<Received>>>) {
    if matches!(answer, Answer::Garbage) {
        let _ = stream
            .write_all(b"\x15\x03\x03garbage, not HTTP\r\n\r\n")
            .await;
        return;
    }
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    received.lock().unwrap().push(request);
    match answer {
        Answer::With {
            status,
            headers,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\ncontent-length: {}\r\n{headers}\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            // Keep the connection until the client closes it.
            let mut rest = [0u8; 1024];
            while matches!(stream.read(&mut rest).await, Ok(n) if n > 0) {}
        }
        Answer::Silent => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Answer::Endless => {
            let head = "HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {}
        }
        Answer::Stalled => {
            let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789";
            let _ = stream.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Answer::Garbage => {}
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).ok()?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(Received {
        request_line,
        headers,
        body,
    })
}

/// The real gate with loopback allowed (as `THUNDERPHONE_OUTBOUND_ALLOW=127.0.0.0/8`).
pub fn loopback_allowed() -> Arc<dyn OutboundGate> {
    Arc::new(DnsGate::new(GateConfig {
        allow: "127.0.0.0/8".parse().unwrap(),
        ..GateConfig::default()
    }))
}

/// The real gate as shipped: no allow list, loopback refused.
pub fn default_gate() -> Arc<dyn OutboundGate> {
    Arc::new(DnsGate::new(GateConfig::default()))
}

/// A gate that answers every name with 127.0.0.1, calls it callable, and
/// says whether it is explicitly allowed: loopback standing in for a
/// public receiver (nothing leaves the machine), and proof that the client
/// connects where the gate says (the names exist nowhere else).
pub struct FakeGate {
    pub explicitly_allowed: bool,
    pub lookups: AtomicUsize,
}

impl FakeGate {
    pub fn new(explicitly_allowed: bool) -> Arc<Self> {
        Arc::new(Self {
            explicitly_allowed,
            lookups: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl OutboundGate for FakeGate {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        if host == "stall.test" {
            std::future::pending::<()>().await;
        }
        if host.ends_with(".test") {
            Ok(vec![SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)])
        } else {
            Err(OutboundError::NoAddress {
                host: host.to_owned(),
            })
        }
    }

    fn check_literal(&self, host: &str) -> Result<Option<IpAddr>, OutboundError> {
        match host.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() => Ok(Some(ip)),
            Ok(ip) => Err(OutboundError::Refused {
                host: host.to_owned(),
                address: ip,
                range: RefusedRange::Reserved,
            }),
            Err(_) => Ok(None),
        }
    }

    fn explicitly_allowed(&self, _address: IpAddr) -> bool {
        self.explicitly_allowed
    }
}

pub const BODY: &str = r#"{"id":"evt_01JDXAAAAAAAAAAAAAAAAAAAAA","type":"webhook.test","timestamp":"2026-12-02T10:00:00Z","org_id":1,"data":{}}"#;

/// An attempt to `url`, signed with `keys`, stamped now.
pub fn request(url: &str, keys: Vec<SigningKey>) -> WebhookRequest {
    WebhookRequest {
        url: WebhookUrl::parse(url).unwrap(),
        webhook_id: "evt_01JDXAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        timestamp: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
        keys,
        body: Arc::from(BODY.as_bytes()),
    }
}

pub fn key(byte: u8) -> SigningKey {
    SigningKey(vec![byte; 32])
}
