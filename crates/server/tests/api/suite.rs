// The end-to-end suite's test modules, declared once: both store binaries
// (`api/main.rs`, `api_postgres/main.rs`) `include!` this list. Paths
// are written from the test directory's parent so they read the same from
// either binary.
#[path = "../api/admission.rs"]
mod admission;
#[path = "../api/agents.rs"]
mod agents;
#[path = "../api/connections.rs"]
mod connections;
#[path = "../api/errors.rs"]
mod errors;
#[path = "../api/hostile.rs"]
mod hostile;
#[path = "../api/idempotency.rs"]
mod idempotency;
#[path = "../api/numbers.rs"]
mod numbers;
#[path = "../api/observability.rs"]
mod observability;
#[path = "../api/operator.rs"]
mod operator;
#[path = "../api/operator_lists.rs"]
mod operator_lists;
#[path = "../api/outbound.rs"]
mod outbound;
#[path = "../api/provisioning.rs"]
mod provisioning;
#[path = "../api/races.rs"]
mod races;
#[path = "../api/receiver.rs"]
mod receiver;
#[path = "../api/shared_limits.rs"]
mod shared_limits;
#[path = "../api/sip_peer.rs"]
mod sip_peer;
#[path = "../api/transfer.rs"]
mod transfer;
#[path = "../api/webhook_endpoints.rs"]
mod webhook_endpoints;
#[path = "../api/webhooks.rs"]
mod webhooks;
