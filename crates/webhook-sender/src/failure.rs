//! Why an attempt got no answer, in our words. The texts are fixed or
//! name only the URL's host: never an address a name resolved to, never
//! what a peer sent (a refusal's body, a TLS alert's details).

use std::error::Error;
use std::io;
use std::time::Duration;

use crate::resolver::Refusal;

/// "timed out after 10 s".
pub(crate) fn timed_out(after: Duration) -> String {
    let s = after.as_secs_f64();
    if s.fract() == 0.0 {
        format!("timed out after {s:.0} s")
    } else {
        format!("timed out after {s} s")
    }
}

/// The first cause along `error`'s source chain that we can name.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut cause: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return refusal.to_string();
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_failure(tls).to_owned();
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if let Some(text) = io_failure(io.kind()) {
                return text.to_owned();
            }
            // `io::Error::source` skips the error it wraps (TLS errors
            // come wrapped twice): look at that one next.
            if let Some(inner) = io.get_ref() {
                cause = Some(inner);
                continue;
            }
        }
        cause = e.source();
    }
    if error.is_builder() {
        "the request could not be built from the endpoint's URL".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection closed without a valid HTTP answer".to_owned()
    }
}

fn tls_failure(error: &rustls::Error) -> &'static str {
    match error {
        rustls::Error::InvalidCertificate(_) => {
            "TLS handshake failed: the receiver's certificate was not accepted"
        }
        _ => "TLS handshake failed",
    }
}

fn io_failure(kind: io::ErrorKind) -> Option<&'static str> {
    Some(match kind {
        io::ErrorKind::ConnectionRefused => "connection refused",
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => "the connection closed without a valid HTTP answer",
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            "the destination could not be reached"
        }
        io::ErrorKind::TimedOut => "the connection timed out",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_in_seconds() {
        assert_eq!(timed_out(Duration::from_secs(10)), "timed out after 10 s");
        assert_eq!(
            timed_out(Duration::from_millis(300)),
            "timed out after 0.3 s"
        );
    }
}
