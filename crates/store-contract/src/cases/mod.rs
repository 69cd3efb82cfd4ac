//! The contract cases. Each takes a fresh, empty store and panics when the
//! store breaks a promise of the repository traits; [`crate::contract_tests!`]
//! runs every one of them as its own test.

mod agents;
mod changes;
mod connections;
mod events;
mod idempotency;
mod jobs;
mod keyed_reads;
mod listing;
mod numbers;
mod operator_lists;
mod pool;
mod sessions;
mod tenancy;
mod versions;
mod webhook_secrets;
mod webhooks;

pub use agents::*;
pub use changes::*;
pub use connections::*;
pub use events::*;
pub use idempotency::*;
pub use jobs::*;
pub use keyed_reads::*;
pub use listing::*;
pub use numbers::*;
pub use operator_lists::*;
pub use pool::*;
pub use sessions::*;
pub use tenancy::*;
pub use versions::*;
pub use webhook_secrets::*;
pub use webhooks::*;
