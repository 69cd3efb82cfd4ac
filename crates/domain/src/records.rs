//! The plain records around numbers: tenancy, agents and VoIP connections.
//! Their invariants live in the value types they are made of.

use std::fmt;

use crate::{
    AgentId, ApiKeyId, OrgId, ParseError, Role, SipUri, Timestamp, UserId, VoipConnectionId,
    VoipProvider,
};

/// A human-readable name (org, agent, connection): 1–100 characters after
/// trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Validates a name.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        let len = trimmed.chars().count();
        if len == 0 || len > Self::MAX_CHARS {
            return Err(ParseError::new("must be 1-100 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError::new("must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user's e-mail address, stored lower-case. Only the shape is checked
/// (`local@domain.tld`); deliverability is not this service's concern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Validates the shape of an address (at most 254 characters).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim().to_lowercase();
        let valid = value.len() <= 254
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(value))
        } else {
            Err(ParseError::new("must be an e-mail address"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An org: the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Org {
    pub id: OrgId,
    pub name: DisplayName,
    pub created_at: Timestamp,
}

/// A user; acts in orgs through memberships and API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub created_at: Timestamp,
}

/// A user's role in one org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Membership {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: Role,
}

/// A stored API key: never the key itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub created_at: Timestamp,
}

/// Who is calling: the API key, its user and org, and the user's role there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Principal {
    pub api_key_id: ApiKeyId,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
}

impl Principal {
    /// The actor recorded in version snapshots.
    pub fn actor(&self) -> crate::Actor {
        crate::Actor {
            user_id: self.user_id,
            api_key_id: self.api_key_id,
        }
    }
}

/// A voice AI agent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Agent {
    pub id: AgentId,
    pub org_id: OrgId,
    pub name: DisplayName,
    pub created_at: Timestamp,
}

/// A customer's VoIP connection, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct VoipConnection {
    pub id: VoipConnectionId,
    pub org_id: OrgId,
    pub name: DisplayName,
    pub provider: VoipProvider,
    pub termination_uri: Option<SipUri>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            DisplayName::parse("  Front desk ").map(|n| n.to_string()),
            Ok("Front desk".into())
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("a\nb").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("Ada@Example.com").map(|e| e.as_str().to_owned()),
            Ok("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
