//! reqwest's name lookups, answered by the outbound gate (API.md §15), so
//! the client connects to exactly the addresses the gate checked: there
//! is no second lookup for a rebinding name server to answer differently.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use thunderphone_ports::{OutboundError, OutboundGate};

/// Why a destination got no address to connect to. Its `Display` is safe
/// for the tenant: it names the host, never an address.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The gate's own answer: refused, no address, lookup failed, …
    Gate(OutboundError),
    /// A plain `http://` destination outside `THUNDERPHONE_OUTBOUND_ALLOW`.
    PlainHttp {
        /// The host as written in the URL.
        host: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Gate(error) => error.fmt(f),
            Refusal::PlainHttp { host } => write!(
                f,
                "{host} is not a destination this server calls over http://; use https://"
            ),
        }
    }
}

impl Error for Refusal {}

/// The resolver of one client. Plain-http clients also require every
/// address to be explicitly allowed: the resolver cannot see the scheme,
/// so each scheme has its own client (see `sender`).
pub(crate) struct GateResolver {
    gate: Arc<dyn OutboundGate>,
    plain_http: bool,
}

impl GateResolver {
    /// A resolver for `https://` (`plain_http = false`) or `http://`.
    pub(crate) fn new(gate: Arc<dyn OutboundGate>, plain_http: bool) -> Self {
        Self { gate, plain_http }
    }
}

impl Resolve for GateResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let gate = Arc::clone(&self.gate);
        let plain_http = self.plain_http;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts in the URL's port, or the scheme's.
            let addresses = match gate.resolve(&host, 0).await {
                Ok(addresses) if addresses.is_empty() => {
                    return Err(boxed(Refusal::Gate(OutboundError::NoAddress { host })));
                }
                Ok(addresses) => addresses,
                Err(error) => return Err(boxed(Refusal::Gate(error))),
            };
            if plain_http && !addresses.iter().all(|a| gate.explicitly_allowed(a.ip())) {
                return Err(boxed(Refusal::PlainHttp { host }));
            }
            let addresses: Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Boxed once, by coercion (a `From` conversion would box the box and hide
/// the type from `downcast_ref`).
fn boxed(refusal: Refusal) -> Box<dyn Error + Send + Sync> {
    Box::new(refusal)
}
