//! The enumerated wire names of the API, for the OpenAPI document only.
//!
//! The DTOs carry these values as strings taken from the domain types
//! (`Status::as_str`, …); these enums give the document the closed list of
//! values each such field takes. A test in `openapi.rs` checks that every
//! list here equals the domain's, so the two cannot drift apart.

// Only the schemas are used: no value of these enums is ever built.
#![allow(dead_code)]

use utoipa::ToSchema;

/// A number's status (API.md §3).
#[derive(ToSchema)]
#[schema(as = PhoneNumberStatus, rename_all = "snake_case")]
pub enum StatusName {
    /// Reserved; waiting for the provider or a VoIP verification.
    Provisioning,
    /// Routes calls.
    Active,
    /// The provider gave up.
    Failed,
    /// Kept by the org but routes no calls.
    Released,
}

/// The statuses a client may ask for with PUT or PATCH (API.md §3).
#[derive(ToSchema)]
#[schema(as = SettablePhoneNumberStatus, rename_all = "snake_case")]
pub enum SettableStatusName {
    /// Route calls again.
    Active,
    /// Keep the number but route no calls.
    Released,
}

/// Where a number comes from.
#[derive(ToSchema)]
#[schema(as = PhoneNumberSource, rename_all = "snake_case")]
pub enum SourceName {
    /// ThunderPhone's pool.
    Demo,
    /// Brought through a VoIP connection.
    Voip,
}

/// Outcome of a number's last VoIP verification.
#[derive(ToSchema)]
#[schema(as = VoipVerificationStatus, rename_all = "snake_case")]
pub enum VerificationStatusName {
    /// Never verified (always so for demo numbers).
    Unverified,
    /// The last verification passed.
    Verified,
    /// The last verification failed.
    Failed,
}

/// What a version snapshot records (API.md §8).
#[derive(ToSchema)]
#[schema(as = ChangeKind, rename_all = "snake_case")]
pub enum ChangeName {
    /// Provisioned or imported.
    Created,
    /// The provider confirmed activation.
    Activated,
    /// The provider gave up.
    ProvisioningFailed,
    /// Agents (or the VoIP connection link) changed.
    Assigned,
    /// A client changed the status.
    StatusChanged,
    /// Moved to another org.
    Transferred,
    /// A VoIP verification passed.
    Verified,
    /// A VoIP verification failed.
    VerificationFailed,
}

/// Which preference a provisioned number satisfied.
#[derive(ToSchema)]
#[schema(as = MatchedOn, rename_all = "snake_case")]
pub enum MatchedOnName {
    /// The requested area code.
    AreaCode,
    /// An area code serving the requested city.
    City,
    /// The requested state, or the state of the requested area code.
    State,
    /// No preference was given.
    Any,
}

/// The result of a verification run.
#[derive(ToSchema)]
#[schema(as = VerificationResult, rename_all = "snake_case")]
pub enum VerificationResultName {
    /// Every check passed.
    Verified,
    /// At least one check failed.
    Failed,
}

/// A user's role in an org (`member` < `admin` < `owner`).
#[derive(ToSchema)]
#[schema(as = Role, rename_all = "snake_case")]
pub enum RoleName {
    /// Reads and changes numbers and agents.
    Member,
    /// Also transfers numbers and manages VoIP connections.
    Admin,
    /// Everything an admin can do.
    Owner,
}

/// The kind of a VoIP connection.
#[derive(ToSchema)]
#[schema(as = VoipProvider, rename_all = "snake_case")]
pub enum ProviderName {
    /// A Twilio account.
    Twilio,
    /// A Telnyx account.
    Telnyx,
    /// A SIP trunk.
    Sip,
}
