//! A recording HTTP/1.1 proxy between a client and a Prism mock: it
//! forwards each request, notes Prism's verdict (status and the
//! `sl-violations` header, where Prism lists what is wrong with a request),
//! and can patch a mock answer so that a client takes a branch the vendor's
//! example data would not lead it into.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A change to the mock's answer to `method` requests whose path (without
/// query) matches.
pub struct Patch {
    pub method: &'static str,
    /// Matches when the path ends with this.
    pub path_suffix: &'static str,
    /// Text to replace; empty replaces the whole body.
    pub from: &'static str,
    pub to: &'static str,
}

/// One request as Prism judged it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub target: String,
    pub status: u16,
    /// Violations Prism found in the request (not in its own answer).
    pub violations: Vec<String>,
}

impl Exchange {
    /// True when Prism accepted the request.
    pub fn accepted(&self) -> bool {
        self.status < 400 && self.violations.is_empty()
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// A running proxy.
pub struct Proxy {
    pub url: String,
    pub log: Arc<Mutex<Vec<Exchange>>>,
}

impl Proxy {
    /// What it has seen so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Starts a proxy to `upstream` on a free local port.
pub async fn start(upstream: String, patches: Vec<Patch>) -> std::io::Result<Proxy> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let patches = Arc::new(patches);
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (upstream, patches, seen, client) = (
                upstream.clone(),
                patches.clone(),
                seen.clone(),
                client.clone(),
            );
            tokio::spawn(async move {
                if let Err(e) = serve(stream, &upstream, &patches, &seen, &client).await {
                    eprintln!("proxy: {e}");
                }
            });
        }
    });
    Ok(Proxy { url, log })
}

async fn serve(
    mut stream: TcpStream,
    upstream: &str,
    patches: &[Patch],
    seen: &Mutex<Vec<Exchange>>,
    client: &reqwest::Client,
) -> Result<(), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let verb = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut forward = client
        .request(verb, format!("{upstream}{target}"))
        .body(body);
    for (name, value) in &headers {
        if matches!(name.as_str(), "authorization" | "content-type" | "accept") {
            forward = forward.header(name, value);
        }
    }
    let answer = forward.send().await.map_err(|e| e.to_string())?;
    let status = answer.status();
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let violations = answer
        .headers()
        .get("sl-violations")
        .and_then(|v| v.to_str().ok())
        .map(request_violations)
        .unwrap_or_default();
    let mut text = answer.text().await.map_err(|e| e.to_string())?;
    let path = target.split('?').next().unwrap_or_default();
    for patch in patches {
        if patch.method == method && path.ends_with(patch.path_suffix) {
            text = if patch.from.is_empty() {
                patch.to.to_owned()
            } else {
                text.replace(patch.from, patch.to)
            };
        }
    }
    if let Ok(mut log) = seen.lock() {
        log.push(Exchange {
            method,
            target,
            status: status.as_u16(),
            violations,
        });
    }
    let reply = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        text.len()
    );
    stream
        .write_all(reply.as_bytes())
        .await
        .map_err(|e| e.to_string())
}

/// The messages of `sl-violations` entries located in the request.
fn request_violations(header: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(header) else {
        return vec![format!("unreadable sl-violations header: {header}")];
    };
    items
        .iter()
        .filter(|v| v["location"][0] == "request")
        .map(|v| {
            let severity = v["severity"].as_str().unwrap_or("?");
            let message = v["message"].as_str().unwrap_or("?");
            format!("{severity}: {message}")
        })
        .collect()
}
