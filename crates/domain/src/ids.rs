use std::fmt;
use std::str::FromStr;

/// An id was zero, negative or not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ids are positive 64-bit integers")]
pub struct IdError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Accepts positive values only: ids are never zero or negative.
            pub fn new(value: i64) -> Result<Self, IdError> {
                if value > 0 { Ok(Self(value)) } else { Err(IdError) }
            }

            /// The raw value, for storage and serialisation.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                // Only plain ASCII digits: no sign, no whitespace, no leading '+'.
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdError);
                }
                s.parse::<i64>().map_err(|_| IdError).and_then(Self::new)
            }
        }
    };
}

id_type!(
    /// An organisation: the tenant that holds numbers, agents and connections.
    OrgId
);
id_type!(
    /// A user; belongs to orgs through memberships.
    UserId
);
id_type!(
    /// An API key; acts as one user in one org.
    ApiKeyId
);
id_type!(
    /// A voice AI agent of an org.
    AgentId
);
id_type!(
    /// A phone number held by an org.
    PhoneNumberId
);
id_type!(
    /// A customer's VoIP connection (Twilio, Telnyx or a SIP trunk).
    VoipConnectionId
);

id_type!(
    /// A webhook endpoint of an org.
    WebhookEndpointId
);
id_type!(
    /// One event's delivery to one webhook endpoint.
    DeliveryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive() {
        assert!(OrgId::new(0).is_err());
        assert!(OrgId::new(-5).is_err());
        assert_eq!(OrgId::new(7).map(OrgId::get), Ok(7));
    }

    #[test]
    fn ids_parse_digits_only() {
        assert_eq!("42".parse::<AgentId>().map(AgentId::get), Ok(42));
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "0",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<AgentId>().is_err(), "{bad:?} should not parse");
        }
    }
}
