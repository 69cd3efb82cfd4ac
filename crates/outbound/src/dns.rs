//! Name lookups with hickory's asynchronous resolver on the caller's tokio
//! runtime: no thread waits on a lookup (unlike `getaddrinfo`, which
//! `tokio::net::lookup_host` runs on the blocking pool that also carries
//! the database calls).
//!
//! Each lookup builds its own resolver from a configuration read once at
//! start-up. A shared resolver keeps connections whose background tasks
//! live on whichever runtime first opened them (one HTTP worker's), so one
//! worker's lookups would wait on another's; a resolver of its own ends
//! with the lookup, cancelled or not, and leaves no task behind. The price
//! is no cache, which verifications, seconds apart, would barely use.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::Hosts;
use hickory_resolver::Resolver;
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use thunderphone_ports::LookupFailure;

/// Which name servers answer the gate's lookups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NameServers {
    /// The system's: `/etc/resolv.conf` (servers, search domains, options).
    #[default]
    System,
    /// These servers, over UDP (TCP for truncated answers), no search
    /// domains.
    List(Vec<SocketAddr>),
}

/// A name server entry that is not `ip` or `ip:port`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a name server address (ip, ip:port or [ipv6]:port)")]
pub struct BadNameServer(pub String);

impl FromStr for NameServers {
    type Err = BadNameServer;

    /// `""` or `system`: the system's; otherwise comma-separated
    /// `ip[:port]` (port 53 when none).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("system") {
            return Ok(NameServers::System);
        }
        s.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<SocketAddr>()
                    .or_else(|_| entry.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                    .map_err(|_| BadNameServer(entry.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(NameServers::List)
    }
}

impl fmt::Display for NameServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameServers::System => f.write_str("system"),
            NameServers::List(servers) => {
                let servers: Vec<String> = servers.iter().map(SocketAddr::to_string).collect();
                f.write_str(&servers.join(","))
            }
        }
    }
}

/// Why a lookup gave no address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// No such name, or no A/AAAA record.
    NoAddress,
    /// It failed.
    Failed(LookupFailure),
    /// It did not finish within the bound.
    TimedOut,
}

/// The resolver configuration, read once.
pub(crate) struct Dns {
    config: ResolverConfig,
    options: ResolverOpts,
    hosts: Arc<Hosts>,
    bound: Duration,
}

impl fmt::Debug for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dns")
            .field("name_servers", &self.config.name_servers().len())
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl Dns {
    /// Reads the system configuration when asked to (and the hosts file in
    /// any case): blocking file reads, so call this at start-up.
    pub fn new(servers: &NameServers, bound: Duration) -> Self {
        let (config, mut options) = match servers {
            NameServers::System => match hickory_resolver::system_conf::read_system_conf() {
                Ok(system) => system,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the system's DNS configuration; names will not resolve (set THUNDERPHONE_DNS_SERVERS)");
                    (
                        ResolverConfig::from_name_servers(Vec::new()),
                        ResolverOpts::default(),
                    )
                }
            },
            NameServers::List(servers) => {
                let servers = servers
                    .iter()
                    .map(|server| {
                        let mut config = NameServerConfig::udp_and_tcp(server.ip());
                        for connection in &mut config.connections {
                            connection.port = server.port();
                        }
                        config
                    })
                    .collect();
                (
                    ResolverConfig::from_name_servers(servers),
                    ResolverOpts::default(),
                )
            }
        };
        // Both families, so every address the name has is checked.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        // Two tries within the bound: one lost datagram is not a failure,
        // and a name server that answers A but drops AAAA still gives the
        // A records before the bound.
        options.timeout = (bound / 3).max(Duration::from_millis(50));
        options.attempts = 2;
        options.cache_size = 0;
        // The hosts file is read once, below, not per resolver.
        options.use_hosts_file = ResolveHosts::Never;
        let hosts = match Hosts::from_system() {
            Ok(hosts) => hosts,
            Err(error) => {
                tracing::debug!(%error, "no hosts file");
                Hosts::default()
            }
        };
        Self {
            config,
            options,
            hosts: Arc::new(hosts),
            bound,
        }
    }

    /// The bound on one lookup.
    pub fn bound(&self) -> Duration {
        self.bound
    }

    /// The addresses of `name` (hosts file first, then DNS), within the
    /// bound.
    pub async fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, LookupError> {
        match tokio::time::timeout(self.bound, self.lookup_unbounded(name)).await {
            Ok(result) => result,
            Err(_) => Err(LookupError::TimedOut),
        }
    }

    async fn lookup_unbounded(&self, name: &str) -> Result<Vec<IpAddr>, LookupError> {
        let mut builder =
            Resolver::builder_with_config(self.config.clone(), TokioRuntimeProvider::default());
        *builder.options_mut() = self.options.clone();
        let mut resolver = builder.build().map_err(|error| {
            tracing::warn!(%error, "cannot build a DNS resolver");
            LookupError::Failed(LookupFailure::Other)
        })?;
        resolver.set_hosts(self.hosts.clone());
        match resolver.lookup_ip(name).await {
            Ok(found) => {
                let mut addresses: Vec<IpAddr> = Vec::new();
                for ip in found.iter() {
                    if !addresses.contains(&ip) {
                        addresses.push(ip);
                    }
                }
                if addresses.is_empty() {
                    Err(LookupError::NoAddress)
                } else {
                    Ok(addresses)
                }
            }
            Err(error) => {
                tracing::debug!(%error, name, "lookup failed");
                Err(classify_error(&error))
            }
        }
    }
}

fn classify_error(error: &NetError) -> LookupError {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(_)) => LookupError::NoAddress,
        NetError::Dns(DnsError::ResponseCode(_)) => {
            LookupError::Failed(LookupFailure::ServerFailed)
        }
        NetError::Timeout => LookupError::TimedOut,
        NetError::Io(_) | NetError::NoConnections | NetError::Busy => {
            LookupError::Failed(LookupFailure::Unreachable)
        }
        _ => LookupError::Failed(LookupFailure::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_server_lists_parse() {
        assert_eq!("".parse(), Ok(NameServers::System));
        assert_eq!(" System ".parse(), Ok(NameServers::System));
        let list: Result<NameServers, _> = "127.0.0.1:5353, 10.0.0.2, [::1]:53".parse();
        assert_eq!(
            list.map(|l| l.to_string()),
            Ok("127.0.0.1:5353,10.0.0.2:53,[::1]:53".to_owned())
        );
        assert_eq!(
            "dns.example".parse::<NameServers>(),
            Err(BadNameServer("dns.example".into()))
        );
    }
}
