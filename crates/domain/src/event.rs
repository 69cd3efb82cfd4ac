//! Events: what happened to a phone number, as webhooks deliver it
//! (API.md §14). Every recorded change of a number (every version) makes
//! one event in the org that holds the number after it; a transfer makes
//! two (out in the source org, in in the target org).

use std::fmt;
use std::str::FromStr;

use crate::kinds::wire_enum;
use crate::{Actor, ChangeKind, E164, OrgId, ParseError, PhoneNumber, PhoneNumberId, Timestamp};

wire_enum!(
    /// The `type` of an event.
    EventType {
        /// Provisioned or imported.
        Created => "phone_number.created",
        /// The provider activated it.
        Activated => "phone_number.activated",
        /// The provider gave up.
        ProvisioningFailed => "phone_number.provisioning_failed",
        /// Agents (or the VoIP connection link) changed.
        Assigned => "phone_number.assigned",
        /// `active` ⇄ `released`.
        StatusChanged => "phone_number.status_changed",
        /// Moved to another org; recorded in the source org.
        TransferredOut => "phone_number.transferred_out",
        /// Moved from another org; recorded in the target org.
        TransferredIn => "phone_number.transferred_in",
        /// A VoIP verification passed.
        Verified => "phone_number.verified",
        /// A VoIP verification failed.
        VerificationFailed => "phone_number.verification_failed",
        /// Deleted by its org.
        Deleted => "phone_number.deleted",
        /// Sent on request to one webhook endpoint.
        WebhookTest => "webhook.test",
    }
);

impl EventType {
    /// The event recorded, in the number's (new) org, for a version.
    pub fn of_change(change: ChangeKind) -> Self {
        match change {
            ChangeKind::Created => Self::Created,
            ChangeKind::Activated => Self::Activated,
            ChangeKind::ProvisioningFailed => Self::ProvisioningFailed,
            ChangeKind::Assigned => Self::Assigned,
            ChangeKind::StatusChanged => Self::StatusChanged,
            ChangeKind::Transferred => Self::TransferredIn,
            ChangeKind::Verified => Self::Verified,
            ChangeKind::VerificationFailed => Self::VerificationFailed,
        }
    }

    /// The types an endpoint may subscribe to: all but `webhook.test`,
    /// which goes only to the endpoint it was sent to.
    pub fn subscribable() -> impl Iterator<Item = EventType> {
        Self::ALL
            .iter()
            .copied()
            .filter(|t| *t != Self::WebhookTest)
    }
}

/// `evt_` and a ULID: unique without coordination between instances, and
/// ordered by time, so ids say nothing about another org's volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(ulid::Ulid);

impl EventId {
    const PREFIX: &'static str = "evt_";

    /// The id of an event created at `at`; `random` must come from a
    /// random source (80 bits of it are used).
    pub fn new(at: Timestamp, random: u128) -> Self {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        Self(ulid::Ulid::from_parts(millis, random))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

impl FromStr for EventId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::new("must be an event id (evt_ and 26 characters)".to_owned());
        let ulid = s.strip_prefix(Self::PREFIX).ok_or_else(invalid)?;
        // Canonical upper-case spelling only, so one event has one id.
        if ulid.len() != 26 || ulid.bytes().any(|b| b.is_ascii_lowercase()) {
            return Err(invalid());
        }
        ulid::Ulid::from_string(ulid)
            .map(Self)
            .map_err(|_| invalid())
    }
}

/// One check of a VoIP verification (API.md §9), as an event carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// `credentials`, `number_in_account`, `inbound_routing` or
    /// `outbound_trunking`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found; for a failure, what the customer should fix.
    pub detail: String,
}

impl CheckOutcome {
    /// A passed check.
    pub fn passed(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            passed: true,
            detail: detail.into(),
        }
    }

    /// A failed check.
    pub fn failed(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            passed: false,
            detail: detail.into(),
        }
    }
}

/// What an event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventData {
    /// The number at the version the event describes (or, for
    /// `phone_number.deleted`, as it was when deleted).
    Number {
        /// The number's state.
        number: PhoneNumber,
        /// Who made the change; `None` for the system.
        changed_by: Option<Actor>,
        /// The checks, for a verification outcome; empty otherwise.
        checks: Vec<CheckOutcome>,
    },
    /// Only what the source org may still know of a number it gave away.
    TransferredOut {
        /// The number's id.
        phone_number_id: PhoneNumberId,
        /// The number.
        number: E164,
        /// Where it went.
        to_org_id: OrgId,
    },
    /// `webhook.test`: nothing but the event itself.
    Test,
}

/// An event, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its id; also the `webhook-id` of every delivery of it.
    pub id: EventId,
    /// The org that sees it.
    pub org_id: OrgId,
    /// Its type.
    pub kind: EventType,
    /// What it says.
    pub data: EventData,
    /// When the change was made.
    pub created_at: Timestamp,
}

impl Event {
    /// The number the event is about, if any (the `phone_number_id`
    /// filter of `GET /v1/events`).
    pub fn phone_number_id(&self) -> Option<PhoneNumberId> {
        match &self.data {
            EventData::Number { number, .. } => Some(number.id()),
            EventData::TransferredOut {
                phone_number_id, ..
            } => Some(*phone_number_id),
            EventData::Test => None,
        }
    }

    /// The events of one recorded change: the number's state after it
    /// (`after`, already at its new version), in its org, and for a
    /// transfer also `transferred_out` in `previous_org`. `ids` supplies
    /// fresh ids (called once per event).
    pub fn of_change(
        previous_org: OrgId,
        after: &PhoneNumber,
        change: ChangeKind,
        changed_by: Option<Actor>,
        checks: Vec<CheckOutcome>,
        mut ids: impl FnMut() -> EventId,
    ) -> Vec<Event> {
        let at = after.updated_at();
        let mut events = Vec::with_capacity(2);
        if change == ChangeKind::Transferred && previous_org != after.org_id() {
            events.push(Event {
                id: ids(),
                org_id: previous_org,
                kind: EventType::TransferredOut,
                data: EventData::TransferredOut {
                    phone_number_id: after.id(),
                    number: after.number().clone(),
                    to_org_id: after.org_id(),
                },
                created_at: at,
            });
        }
        events.push(Event {
            id: ids(),
            org_id: after.org_id(),
            kind: EventType::of_change(change),
            data: EventData::Number {
                number: after.clone(),
                changed_by,
                checks,
            },
            created_at: at,
        });
        events
    }

    /// The event of a number created (provisioned or imported).
    pub fn created(number: &PhoneNumber, changed_by: Option<Actor>, id: EventId) -> Event {
        Event {
            id,
            org_id: number.org_id(),
            kind: EventType::Created,
            data: EventData::Number {
                number: number.clone(),
                changed_by,
                checks: Vec::new(),
            },
            created_at: number.created_at(),
        }
    }

    /// The event of a number deleted at `at`, carrying its last state.
    pub fn deleted(
        number: &PhoneNumber,
        changed_by: Option<Actor>,
        at: Timestamp,
        id: EventId,
    ) -> Event {
        Event {
            id,
            org_id: number.org_id(),
            kind: EventType::Deleted,
            data: EventData::Number {
                number: number.clone(),
                changed_by,
                checks: Vec::new(),
            },
            created_at: at,
        }
    }

    /// A `webhook.test` event.
    pub fn test(org_id: OrgId, at: Timestamp, id: EventId) -> Event {
        Event {
            id,
            org_id,
            kind: EventType::WebhookTest,
            data: EventData::Test,
            created_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip_and_refuse_other_spellings() {
        let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
        let id = EventId::new(at, 0x1234_5678_9abc_def0_1234);
        let text = id.to_string();
        assert!(text.starts_with("evt_") && text.len() == 30, "{text}");
        assert_eq!(text.parse::<EventId>(), Ok(id));
        assert!(text.to_lowercase().parse::<EventId>().is_err());
        assert!(text[4..].parse::<EventId>().is_err());
        assert!("evt_".parse::<EventId>().is_err());
        assert!(format!("{text}0").parse::<EventId>().is_err());
    }

    #[test]
    fn event_types_round_trip_and_test_is_not_subscribable() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
        }
        assert!(EventType::subscribable().all(|t| t != EventType::WebhookTest));
        assert_eq!(EventType::subscribable().count(), EventType::ALL.len() - 1);
    }
}
