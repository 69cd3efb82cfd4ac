//! The outbound gate (API.md §15): every destination a tenant chooses (SIP
//! trunks now, webhook URLs next) is resolved and checked here before the
//! server connects, implementing [`thunderphone_ports::OutboundGate`].
//!
//! - [`host`]: host spellings. Whatever `inet_aton` or a URL parser reads
//!   as an IPv4 address (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`)
//!   is that address and never goes to DNS; `localhost` is loopback.
//! - [`ranges`]: IANA's special-purpose registries as CIDR tables
//!   (`ipnet`); IPv4-mapped, NAT64 and 6to4 addresses are judged by the
//!   IPv4 address they carry.
//! - [`policy`]: refused unless `THUNDERPHONE_OUTBOUND_ALLOW` covers it.
//! - `dns`: asynchronous lookups (hickory, on the caller's tokio runtime,
//!   never on the blocking pool), bounded in time.
//!
//! A name is refused when ANY of its addresses is: a name that mixes
//! public and private answers is a rebinding attempt, not a trunk.
//!
//! As a `reqwest` resolver (for webhook deliveries), wrap an
//! `Arc<dyn OutboundGate>` and answer `Resolve::resolve(name)` with
//! `gate.resolve(name.as_str(), 0)`: reqwest replaces the port, and
//! [`thunderphone_ports::OutboundError`] is `Error + Send + Sync`.

mod dns;
mod gate;
pub mod host;
pub mod policy;
pub mod ranges;

pub use dns::{BadNameServer, NameServers};
pub use gate::{DnsGate, GateConfig};
pub use policy::{AllowList, BadCidr, Policy};
