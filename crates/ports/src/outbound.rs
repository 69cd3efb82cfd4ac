//! Where the server may connect on a tenant's behalf (API.md §15): SIP
//! trunks now, webhook URLs next. Every such connection goes through one
//! [`OutboundGate`], which resolves the host and hands back only addresses
//! it checked; callers connect to exactly those, never to a second lookup's.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;

/// The special-purpose range (IANA's IPv4 and IPv6 registries) that made
/// the gate refuse an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusedRange {
    /// `0.0.0.0/8`, `::/128`.
    Unspecified,
    /// `127.0.0.0/8`, `::1/128`.
    Loopback,
    /// RFC 1918, `fc00::/7`, local-use NAT64 `64:ff9b:1::/48`.
    Private,
    /// `100.64.0.0/10` (carrier-grade NAT).
    Shared,
    /// `169.254.0.0/16` (cloud metadata lives here), `fe80::/10`.
    LinkLocal,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`,
    /// `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// Every other range that is not globally reachable: `240.0.0.0/4`,
    /// IETF protocol assignments, IPv4-compatible IPv6, IPv6 outside
    /// `2000::/3`, …
    Reserved,
}

impl RefusedRange {
    /// A lower-case name for logs, e.g. `link-local`.
    pub fn name(self) -> &'static str {
        match self {
            RefusedRange::Unspecified => "unspecified",
            RefusedRange::Loopback => "loopback",
            RefusedRange::Private => "private",
            RefusedRange::Shared => "shared",
            RefusedRange::LinkLocal => "link-local",
            RefusedRange::Multicast => "multicast",
            RefusedRange::Broadcast => "broadcast",
            RefusedRange::Documentation => "documentation",
            RefusedRange::Benchmarking => "benchmarking",
            RefusedRange::Reserved => "reserved",
        }
    }
}

impl fmt::Display for RefusedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a lookup got no usable answer. Fixed texts: nothing a name server
/// sent reaches a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupFailure {
    /// The name server answered with an error code (SERVFAIL, REFUSED, …).
    ServerFailed,
    /// No name server could be reached.
    Unreachable,
    /// Anything else (malformed answers, resolver errors).
    Other,
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LookupFailure::ServerFailed => "the name server answered with an error",
            LookupFailure::Unreachable => "no name server could be reached",
            LookupFailure::Other => "the lookup failed",
        })
    }
}

/// Why the gate gives no address to connect to.
///
/// The `Display` text is safe to show the tenant: it names the host they
/// gave, never the address a name resolved to (that would map the
/// server's internal DNS for them), and nothing a name server sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// Not a host name or IP address; also a numeric host that is no IPv4
    /// address in any spelling (`1.2.3.4.5`, `999.1.1.1`).
    #[error("{host} is not a valid host name or IP address")]
    InvalidHost {
        /// The host as given.
        host: String,
    },
    /// The host is, or resolves to, a refused address (one is enough).
    #[error("{host} resolves to a private address, which this server does not call")]
    Refused {
        /// The host as given.
        host: String,
        /// The first refused address (for logs).
        address: IpAddr,
        /// Its range (for logs).
        range: RefusedRange,
    },
    /// The name exists nowhere, or has no IPv4 or IPv6 address.
    #[error("{host} has no address")]
    NoAddress {
        /// The host as given.
        host: String,
    },
    /// The lookup failed.
    #[error("could not resolve {host}: {reason}")]
    LookupFailed {
        /// The host as given.
        host: String,
        /// Why.
        reason: LookupFailure,
    },
    /// The lookup did not finish within the gate's bound.
    #[error("could not resolve {host} within {}", seconds(*.after))]
    TimedOut {
        /// The host as given.
        host: String,
        /// The bound.
        after: Duration,
    },
}

/// "2 s", "1.5 s".
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// The one way to a destination a tenant chose. Implementations resolve
/// without blocking a thread (never on the pool that runs database calls)
/// and bound every lookup in time.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OutboundGate: Send + Sync {
    /// The addresses to connect to for `host` (a name, or an IP address in
    /// any spelling: `127.1`, `0x7f000001`, `[::1]`, …) and `port`. Every
    /// address returned was checked; connect to one of these, never to the
    /// host again.
    ///
    /// # Errors
    /// - [`OutboundError::InvalidHost`] when `host` is neither a name nor an
    ///   address;
    /// - [`OutboundError::Refused`] when the address, or ANY address the
    ///   name resolves to, is in a refused range and not explicitly allowed
    ///   (a name must not mix callable and refused answers);
    /// - [`OutboundError::NoAddress`] when the name has no address;
    /// - [`OutboundError::LookupFailed`] when the lookup fails;
    /// - [`OutboundError::TimedOut`] when it does not finish in time.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError>;

    /// Judges `host` without DNS, e.g. to refuse a literal address when a
    /// destination is saved: `Some(address)` for an address that may be
    /// called, `None` for a name (judged when it is resolved).
    ///
    /// # Errors
    /// [`OutboundError::InvalidHost`] or [`OutboundError::Refused`], as
    /// [`OutboundGate::resolve`] would give.
    fn check_literal(&self, host: &str) -> Result<Option<IpAddr>, OutboundError>;

    /// Whether the operator explicitly allows `address`
    /// (`THUNDERPHONE_OUTBOUND_ALLOW`): the only destinations a webhook may
    /// reach over plain `http://`.
    fn explicitly_allowed(&self, address: IpAddr) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_host_not_the_address() {
        let e = OutboundError::Refused {
            host: "pbx.example.com".into(),
            address: IpAddr::from([10, 1, 2, 3]),
            range: RefusedRange::Private,
        };
        let text = e.to_string();
        assert_eq!(
            text,
            "pbx.example.com resolves to a private address, which this server does not call"
        );
        let timed_out = OutboundError::TimedOut {
            host: "h".into(),
            after: Duration::from_millis(1500),
        };
        assert_eq!(timed_out.to_string(), "could not resolve h within 1.5 s");
        assert_eq!(RefusedRange::LinkLocal.to_string(), "link-local");
    }
}
