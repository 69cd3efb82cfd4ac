//! The phone-number domain: value types that can only hold valid values and
//! the `PhoneNumber` aggregate whose methods are the status state machine.
//!
//! Pure: no I/O, no async, no framework types. Everything that crosses a
//! boundary into this crate is validated at construction (`parse`), so the
//! rest of the system can trust any value it holds.

mod actor;
mod credentials;
mod error;
mod event;
mod geo;
mod ids;
mod kinds;
mod number;
mod phone_number;
mod records;
mod role;
mod sip;
mod sip_uri;
mod version;
mod webhook;

pub use actor::Actor;
pub use credentials::{Secret, TwilioAccountSid, VoipCredentials, VoipProvider};
pub use error::{ParseError, TransitionError};
pub use event::{CheckOutcome, Event, EventData, EventId, EventType};
pub use geo::{City, UsState};
pub use ids::{
    AgentId, ApiKeyId, DeliveryId, IdError, OrgId, PhoneNumberId, UserId, VoipConnectionId,
    WebhookEndpointId,
};
pub use kinds::{ChangeKind, Source, Status, VerificationStatus};
pub use number::{AreaCode, E164};
pub use phone_number::{
    AgentUpdate, NewPhoneNumber, PhoneNumber, PhoneNumberParts, Updated, Verification,
};
pub use records::{
    Agent, ApiKey, DisplayName, Email, Membership, Org, Principal, User, VoipConnection,
};
pub use role::Role;
pub use sip::{SipPassword, SipUsername};
pub use sip_uri::SipUri;
pub use version::{Version, VersionSnapshot};
pub use webhook::{Delivery, DeliveryStatus, Description, EventTypes, WebhookEndpoint, WebhookUrl};

/// Timestamps everywhere in the domain: UTC, microsecond precision.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
