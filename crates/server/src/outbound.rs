//! Outbound settings (API.md §15): which destinations tenants' checks may
//! reach, who resolves their names, and how much such work runs at once.

use std::sync::Arc;

use clap::Args;
use thunderphone_outbound::{AllowList, DnsGate, GateConfig, NameServers};
use thunderphone_ports::OutboundGate;

/// Where the server may connect on a tenant's behalf.
#[derive(Debug, Clone, Args)]
pub struct OutboundConfig {
    /// Comma-separated CIDRs that tenants' destinations may reach although
    /// they are loopback, private, link-local, … (e.g. a trunk on the
    /// operator's own network); empty by default.
    #[arg(
        long = "outbound-allow",
        env = "THUNDERPHONE_OUTBOUND_ALLOW",
        default_value = ""
    )]
    pub allow: AllowList,

    /// Name servers for tenants' destinations: `system` (resolv.conf and
    /// the hosts file) or comma-separated `ip[:port]`.
    #[arg(
        long = "dns-servers",
        env = "THUNDERPHONE_DNS_SERVERS",
        default_value = "system"
    )]
    pub dns_servers: NameServers,

    /// Most verifications and webhook deliveries in flight on this
    /// instance; a verification beyond that is a 503 with Retry-After.
    #[arg(
        long = "outbound-concurrency",
        env = "THUNDERPHONE_OUTBOUND_CONCURRENCY",
        default_value_t = 64
    )]
    pub concurrency: usize,
}

/// The gate every tenant-chosen destination goes through. Reads the
/// system's resolver configuration: call once, at start-up.
pub fn gate(config: &OutboundConfig) -> Arc<dyn OutboundGate> {
    if !config.allow.nets().is_empty() {
        tracing::info!(allow = %config.allow, "outbound destinations allowed despite their range");
    }
    Arc::new(DnsGate::new(GateConfig {
        allow: config.allow.clone(),
        name_servers: config.dns_servers.clone(),
        ..GateConfig::default()
    }))
}
