//! OPTIONS transactions over UDP (with RFC 3261 timer A retransmits) or
//! TCP, each bounded by a deadline. Both tries of a verification (the
//! challenged one and the authenticated one) go over the same [`Channel`]:
//! same UDP port, same TCP connection. Some trunks answer a dialog's later
//! requests where its first one came from, not where each came from.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, sleep_until, timeout_at};

use super::message::{MAX_MESSAGE, ParseError, Response, parse_response};
use super::uri::Transport;

/// RFC 3261 T1: first retransmit interval.
const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: longest retransmit interval for non-INVITE requests.
const T2: Duration = Duration::from_secs(4);

/// Why a transaction got no final answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing (usable) came back in time.
    TimedOut {
        /// The host said "port unreachable" (ICMP) at least once.
        refused: bool,
        /// The last answer we could not read, if any.
        unreadable: Option<ParseError>,
    },
    /// The TCP connection could not be opened.
    Connect(io::Error),
    /// The trunk's answer is not a SIP response (TCP: the stream is lost).
    Malformed(ParseError),
    /// The connection closed without a final answer.
    Closed,
    /// A local socket error.
    Io(io::Error),
}

const fn timed_out() -> Failure {
    Failure::TimedOut {
        refused: false,
        unreadable: None,
    }
}

/// What the caller needs to build and match the request.
pub(crate) trait Request: Sync {
    /// The bytes to send, given our local address (for Via and Contact).
    fn render(&self, local: SocketAddr) -> Vec<u8>;
    /// True when `response` answers this request.
    fn answered_by(&self, response: &Response) -> bool;
}

/// A socket to one trunk.
pub(crate) enum Channel {
    Udp(UdpSocket),
    Tcp {
        stream: TcpStream,
        /// Bytes read but not yet parsed.
        buf: Vec<u8>,
    },
}

fn unspecified(remote: SocketAddr) -> SocketAddr {
    match remote {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    }
}

impl Channel {
    /// Binds (UDP) or connects (TCP, within `timeout`) to `remote`.
    pub async fn open(
        transport: Transport,
        remote: SocketAddr,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        match transport {
            Transport::Udp => {
                let socket = UdpSocket::bind(unspecified(remote))
                    .await
                    .map_err(Failure::Io)?;
                socket.connect(remote).await.map_err(Failure::Io)?;
                Ok(Channel::Udp(socket))
            }
            Transport::Tcp => match tokio::time::timeout(timeout, TcpStream::connect(remote)).await
            {
                Err(_) => Err(timed_out()),
                Ok(Err(e)) => Err(Failure::Connect(e)),
                Ok(Ok(stream)) => Ok(Channel::Tcp {
                    stream,
                    buf: Vec::new(),
                }),
            },
        }
    }

    /// Sends `request` and returns its final (non-1xx) response.
    pub async fn transact(
        &mut self,
        request: &dyn Request,
        timeout: Duration,
    ) -> Result<Response, Failure> {
        let deadline = Instant::now() + timeout;
        match self {
            Channel::Udp(socket) => udp(socket, request, deadline).await,
            Channel::Tcp { stream, buf } => tcp(stream, buf, request, deadline).await,
        }
    }
}

async fn udp(
    socket: &UdpSocket,
    request: &dyn Request,
    deadline: Instant,
) -> Result<Response, Failure> {
    let local = socket.local_addr().map_err(Failure::Io)?;
    let bytes = request.render(local);
    let mut refused = false;
    let mut unreadable = None;
    let mut provisional = false;
    let mut interval = T1;
    let mut next_send = Instant::now();
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(Failure::TimedOut {
                refused,
                unreadable,
            });
        }
        if !provisional && now >= next_send {
            match socket.send(&bytes).await {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => refused = true,
                Err(e) => return Err(Failure::Io(e)),
            }
            next_send = now + interval;
            interval = (interval * 2).min(T2);
        }
        let wake = if provisional {
            deadline
        } else {
            next_send.min(deadline)
        };
        tokio::select! {
            received = socket.recv(&mut buf) => match received {
                Ok(n) => match parse_response(&buf[..n]) {
                    Ok((response, _)) if request.answered_by(&response) => {
                        if response.code >= 200 {
                            return Ok(response);
                        }
                        // 1xx: the trunk is working on it; stop retransmitting.
                        provisional = true;
                    }
                    Ok(_) => tracing::debug!("ignoring a SIP response to another request"),
                    Err(e) => unreadable = Some(e),
                },
                // ICMP port unreachable, reported on the next receive. Keep
                // listening: it may be transient, and the deadline decides.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => refused = true,
                Err(e) => return Err(Failure::Io(e)),
            },
            () = sleep_until(wake) => {}
        }
    }
}

async fn tcp(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    request: &dyn Request,
    deadline: Instant,
) -> Result<Response, Failure> {
    let local = stream.local_addr().map_err(Failure::Io)?;
    match timeout_at(deadline, stream.write_all(&request.render(local))).await {
        Err(_) => return Err(timed_out()),
        Ok(Err(e)) => return Err(Failure::Io(e)),
        Ok(Ok(())) => {}
    }
    let mut chunk = vec![0u8; 8192];
    loop {
        loop {
            // CRLF keep-alives between messages (RFC 5626 §3.5.1).
            let blank = buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            buf.drain(..blank);
            match parse_response(buf) {
                Ok((response, used)) => {
                    buf.drain(..used);
                    if request.answered_by(&response) && response.code >= 200 {
                        return Ok(response);
                    }
                }
                Err(ParseError::Incomplete) => break,
                Err(e) => return Err(Failure::Malformed(e)),
            }
        }
        if buf.len() > MAX_MESSAGE {
            return Err(Failure::Malformed(ParseError::TooLarge));
        }
        let n = match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(e)) => return Err(Failure::Io(e)),
            Ok(Ok(0)) => return Err(Failure::Closed),
            Ok(Ok(n)) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
    }
}
