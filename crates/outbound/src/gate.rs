//! [`DnsGate`]: the [`OutboundGate`] of this crate.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use thunderphone_ports::{OutboundError, OutboundGate};

use crate::dns::{Dns, LookupError, NameServers};
use crate::host::{Host, parse_host};
use crate::policy::{AllowList, Policy};

/// How the gate resolves and what it lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateConfig {
    /// Addresses that may be called although their range is refused
    /// (`THUNDERPHONE_OUTBOUND_ALLOW`); empty by default.
    pub allow: AllowList,
    /// Who answers lookups (`THUNDERPHONE_DNS_SERVERS`); the system's by
    /// default.
    pub name_servers: NameServers,
    /// Bound on one lookup (API.md §15: 2 s).
    pub lookup_timeout: Duration,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            allow: AllowList::default(),
            name_servers: NameServers::System,
            lookup_timeout: Duration::from_secs(2),
        }
    }
}

/// Resolves with hickory, refuses special-purpose addresses (API.md §15)
/// unless allowed, and hands back only the addresses it checked.
#[derive(Debug)]
pub struct DnsGate {
    policy: Policy,
    dns: Dns,
}

impl DnsGate {
    /// A gate with `config`. Reads the system's resolver configuration and
    /// hosts file (blocking file reads): build it once, at start-up.
    pub fn new(config: GateConfig) -> Self {
        Self {
            dns: Dns::new(&config.name_servers, config.lookup_timeout),
            policy: Policy::new(config.allow),
        }
    }

    fn check(&self, host: &str, ip: IpAddr) -> Result<IpAddr, OutboundError> {
        self.policy
            .check(ip)
            .map_err(|range| OutboundError::Refused {
                host: host.to_owned(),
                address: ip,
                range,
            })
    }

    /// Every address checked, or the first refusal.
    fn check_all(
        &self,
        host: &str,
        addresses: &[IpAddr],
        port: u16,
    ) -> Result<Vec<SocketAddr>, OutboundError> {
        let mut checked = Vec::with_capacity(addresses.len());
        for &ip in addresses {
            let ip = self.check(host, ip)?;
            let addr = SocketAddr::new(ip, port);
            if !checked.contains(&addr) {
                checked.push(addr);
            }
        }
        Ok(checked)
    }
}

fn invalid(host: &str) -> OutboundError {
    OutboundError::InvalidHost {
        host: host.to_owned(),
    }
}

/// Loopback by definition (RFC 6761 §6.3), whatever DNS would say.
const LOCALHOST: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

#[async_trait]
impl OutboundGate for DnsGate {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        let name = match parse_host(host).map_err(|_| invalid(host))? {
            Host::Ip(ip) => return self.check_all(host, &[ip], port),
            Host::Localhost => return self.check_all(host, &LOCALHOST, port),
            Host::Name(name) => name,
        };
        let addresses = self.dns.lookup(&name).await.map_err(|e| match e {
            LookupError::NoAddress => OutboundError::NoAddress {
                host: host.to_owned(),
            },
            LookupError::Failed(reason) => OutboundError::LookupFailed {
                host: host.to_owned(),
                reason,
            },
            LookupError::TimedOut => OutboundError::TimedOut {
                host: host.to_owned(),
                after: self.dns.bound(),
            },
        })?;
        let checked = self.check_all(host, &addresses, port);
        if let Err(OutboundError::Refused { address, range, .. }) = &checked {
            tracing::info!(host, %address, %range, "refused an outbound destination");
        }
        checked
    }

    fn check_literal(&self, host: &str) -> Result<Option<IpAddr>, OutboundError> {
        match parse_host(host).map_err(|_| invalid(host))? {
            Host::Ip(ip) => self.check(host, ip).map(Some),
            Host::Localhost => {
                for ip in LOCALHOST {
                    self.check(host, ip)?;
                }
                Ok(None)
            }
            Host::Name(_) => Ok(None),
        }
    }

    fn explicitly_allowed(&self, address: IpAddr) -> bool {
        self.policy.allows(address)
    }
}
