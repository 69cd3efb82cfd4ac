//! Number providers: the adapters behind [`thunderphone_ports::NumberProvider`],
//! one module per carrier. Which number to take is always decided by the
//! store's pool; a provider only makes the chosen number live or gives it back.
//!
//! Only the demo provider exists so far; it stands in for a real carrier in
//! development, tests and the public demo. VoIP verifiers live here too.

mod demo;
mod unsupported;

pub use demo::DemoProvider;
pub use unsupported::UnsupportedVerifier;
