//! Where to send the OPTIONS: host, port and transport of a termination URI.
//! A [`Target`] is only made from a URI that passes today's
//! [`SipUri::parse`], so the Request-URI and host it puts into a message
//! hold only what RFC 3261 allows there.

use std::fmt;

use thunderphone_domain::SipUri;

/// The transports the checker speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// As written in a Via header.
    pub fn via_name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// A parsed termination URI. The private fields mean a `Target` can only
/// come from [`parse_target`]; host and port are plain fields because the
/// address lookup reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    /// Port; 5060 when the URI has none (DNS SRV records are not consulted).
    pub port: u16,
    transport: Transport,
    request_uri: String,
    shown: String,
}

impl Target {
    /// UDP unless the URI says `transport=tcp`.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The Request-URI (and digest `uri`): the given URI without `?headers`.
    pub fn request_uri(&self) -> &str {
        &self.request_uri
    }

    /// The Request-URI without its user part, for check details: the user
    /// part of a trunk URI is often the account name.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// Why a termination URI cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UriError {
    /// Stored under older rules; breaks today's (API.md §15).
    Outdated,
    /// Not a `sip:` URI.
    NotSip,
    /// A transport the checker does not speak (TLS, WebSocket, SCTP).
    Unsupported(String),
    /// No usable host.
    BadHost,
    /// A port that is not 1–65535.
    BadPort,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriError::Outdated => f.write_str(
                "it was accepted by an earlier version but holds characters SIP does not allow there; delete this connection and create it again with a valid URI",
            ),
            UriError::NotSip => f.write_str("it is not a sip: URI"),
            UriError::Unsupported(what) => write!(
                f,
                "{what} is not supported by the checker; give a sip: URI with transport=udp or transport=tcp"
            ),
            UriError::BadHost => f.write_str("it has no valid host"),
            UriError::BadPort => f.write_str("its port is not 1-65535"),
        }
    }
}

/// Parses `sip:[user@]host[:port][;params][?headers]`.
pub(crate) fn parse_target(uri: &SipUri) -> Result<Target, UriError> {
    // A URI read back from an older row may break today's rules.
    let uri = SipUri::parse(uri.as_str()).map_err(|_| UriError::Outdated)?;
    let uri = uri.as_str();
    let request_uri = uri.split('?').next().unwrap_or_default().to_owned();
    let lower = request_uri.to_ascii_lowercase();
    if lower.starts_with("sips:") {
        return Err(UriError::Unsupported("sips: (TLS)".into()));
    }
    let rest = lower.strip_prefix("sip:").ok_or(UriError::NotSip)?;
    let mut parts = rest.split(';');
    let hostpart = parts.next().unwrap_or_default();
    let mut transport = Transport::Udp;
    for param in parts {
        if let Some(value) = param.strip_prefix("transport=") {
            transport = match value {
                "udp" => Transport::Udp,
                "tcp" => Transport::Tcp,
                other => return Err(UriError::Unsupported(format!("transport={other}"))),
            };
        }
    }
    let hostport = hostpart.rsplit_once('@').map_or(hostpart, |(_, h)| h);
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(UriError::BadHost)?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or(UriError::BadPort)?),
            ),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c));
    if !host_ok {
        return Err(UriError::BadHost);
    }
    let port = match port {
        None => 5060,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or(UriError::BadPort)?,
    };
    let shown = match request_uri.split_once('@') {
        Some((_, rest)) => format!("sip:{rest}"),
        None => request_uri.clone(),
    };
    Ok(Target {
        host: host.to_owned(),
        port,
        transport,
        request_uri,
        shown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> Result<Target, UriError> {
        parse_target(&SipUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}")))
    }

    fn ok(uri: &str) -> Target {
        match target(uri) {
            Ok(t) => t,
            Err(e) => panic!("{uri}: {e}"),
        }
    }

    #[test]
    fn hosts_ports_and_transports() {
        let t = ok("sip:pbx.example.com");
        assert_eq!(
            (t.host.as_str(), t.port, t.transport),
            ("pbx.example.com", 5060, Transport::Udp)
        );
        let t = ok("SIP:trunk@PBX.example.com:5080;transport=TCP?x=y");
        assert_eq!(
            (t.host.as_str(), t.port, t.transport),
            ("pbx.example.com", 5080, Transport::Tcp)
        );
        assert_eq!(
            t.request_uri,
            "SIP:trunk@PBX.example.com:5080;transport=TCP"
        );
        assert_eq!(t.shown(), "sip:PBX.example.com:5080;transport=TCP");
        let t = ok("sip:[::1]:5070");
        assert_eq!((t.host.as_str(), t.port), ("::1", 5070));
        let t = ok("sip:[2001:db8::1]");
        assert_eq!((t.host.as_str(), t.port), ("2001:db8::1", 5060));
        let t = ok("sip:10.0.0.1:5062;lr;transport=udp");
        assert_eq!(
            (t.host.as_str(), t.port, t.transport),
            ("10.0.0.1", 5062, Transport::Udp)
        );
    }

    #[test]
    fn refusals() {
        for (uri, want) in [
            (
                "sips:pbx.example.com",
                UriError::Unsupported("sips: (TLS)".into()),
            ),
            (
                "sip:pbx;transport=tls",
                UriError::Unsupported("transport=tls".into()),
            ),
        ] {
            assert_eq!(target(uri), Err(want), "{uri}");
        }
        // Read back from rows written under older rules.
        for uri in ["sip:pbx;x=<evil>", "sip:a:secret@pbx", "sip:pbx;x=\"q\""] {
            let stored = SipUri::parse_stored(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert_eq!(parse_target(&stored), Err(UriError::Outdated), "{uri}");
        }
    }
}
