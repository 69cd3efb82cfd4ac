//! The plain records around numbers: tenancy, agents and VoIP connections.
//! Their invariants live in the value types they are made of.

use std::fmt;

use crate::{
    AgentId, ApiKeyId, OrgId, ParseError, Role, Timestamp, UserId, VoipConnectionId, VoipProvider,
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

/// A SIP URI a trunk answers on, e.g. `sip:pbx.example.com:5060;transport=tcp`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri(String);

impl SipUri {
    /// Accepts `sip:` or `sips:` URIs with a host, an optional port
    /// (1–65535) and optional `;params`; at most 255 characters.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::new("must be a SIP URI like sip:pbx.example.com:5060");
        let value = input.trim();
        if value.len() > 255 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let lower = value.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("sips:")
            .or_else(|| lower.strip_prefix("sip:"))
            .ok_or_else(invalid)?;
        let hostport = rest.split(';').next().unwrap_or_default();
        let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
            _ => (hostport, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        if host_ok && port_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// The URI as given.
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

    #[test]
    fn sip_uris() {
        for ok in [
            "sip:pbx.example.com:5060",
            "sips:pbx.example.com",
            "sip:10.0.0.1:5070;transport=tcp",
            "sip:trunk@pbx.example.com",
        ] {
            assert!(SipUri::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "http://x",
            "sip:",
            "sip:pbx:0",
            "sip:pbx:99999",
            "sip:pb x",
            "sip:pbx:abc",
        ] {
            assert!(SipUri::parse(bad).is_err(), "{bad:?}");
        }
    }
}
