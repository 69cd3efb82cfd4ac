//! Webhook endpoints and deliveries (API.md §14): the values a tenant
//! sets, checked once at the edge so stores and the sender can trust them.

use std::fmt;

use crate::kinds::wire_enum;
use crate::{DeliveryId, EventId, EventType, OrgId, ParseError, Timestamp, WebhookEndpointId};

/// Where an endpoint's deliveries go: an absolute `https://` (or
/// `http://`) URL with a host, without credentials or a fragment, at most
/// [`WebhookUrl::MAX_LEN`] bytes. Whether its destination may be called
/// is the outbound gate's decision, made again before every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// Longest accepted URL, in bytes.
    pub const MAX_LEN: usize = 2048;

    /// Validates a URL.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.len() > Self::MAX_LEN {
            return Err(ParseError::new("must be at most 2048 characters"));
        }
        if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ParseError::new(
                "must not contain spaces or control characters",
            ));
        }
        let url = url::Url::parse(input)
            .map_err(|_| ParseError::new("must be an absolute https:// URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(ParseError::new("must be an https:// URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ParseError::new("must name a host"));
        }
        // Credentials in a URL would be shown back by every read.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ParseError::new("must not contain a user name or password"));
        }
        if url.fragment().is_some() {
            return Err(ParseError::new("must not contain a fragment (#)"));
        }
        Ok(Self(url))
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The host as written (an IPv6 literal without brackets).
    pub fn host(&self) -> &str {
        match self.0.host() {
            Some(url::Host::Ipv6(_)) => self
                .0
                .host_str()
                .map_or("", |h| h.trim_start_matches('[').trim_end_matches(']')),
            _ => self.0.host_str().unwrap_or_default(),
        }
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    /// The URL, normalised.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event types an endpoint receives: a non-empty set of subscribable
/// types, kept sorted in declaration order without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventTypes(Vec<EventType>);

impl EventTypes {
    /// Every subscribable type (the default).
    pub fn all() -> Self {
        Self(EventType::subscribable().collect())
    }

    /// A chosen set; refuses an empty one and `webhook.test`.
    pub fn new(types: impl IntoIterator<Item = EventType>) -> Result<Self, ParseError> {
        let chosen: Vec<EventType> = types.into_iter().collect();
        if chosen.contains(&EventType::WebhookTest) {
            return Err(ParseError::new(
                "webhook.test cannot be subscribed to: it is sent on request",
            ));
        }
        let set: Vec<EventType> = EventType::subscribable()
            .filter(|t| chosen.contains(t))
            .collect();
        if set.is_empty() {
            return Err(ParseError::new("must name at least one event type"));
        }
        Ok(Self(set))
    }

    /// Whether `kind` is in the set.
    pub fn contains(&self, kind: EventType) -> bool {
        self.0.contains(&kind)
    }

    /// The types, in declaration order.
    pub fn as_slice(&self) -> &[EventType] {
        &self.0
    }
}

/// An endpoint's free-text description: at most 500 characters, no
/// control characters other than line breaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Description(String);

impl Description {
    /// Longest accepted description, in characters.
    pub const MAX_CHARS: usize = 500;

    /// Validates a description.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.chars().count() > Self::MAX_CHARS {
            return Err(ParseError::new("must be at most 500 characters"));
        }
        if input.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ParseError::new("must not contain control characters"));
        }
        Ok(Self(input.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A webhook endpoint, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub org_id: OrgId,
    pub url: WebhookUrl,
    pub event_types: EventTypes,
    pub description: Option<Description>,
    pub enabled: bool,
    /// Why the server disabled it; `None` when enabled or disabled by
    /// the org.
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
}

wire_enum!(
    /// Where a delivery stands.
    DeliveryStatus {
        /// Waiting for its first attempt or a retry.
        Pending => "pending",
        /// A 2xx answered an attempt.
        Succeeded => "succeeded",
        /// Every scheduled attempt failed.
        Failed => "failed",
    }
);

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Delivery {
    pub id: DeliveryId,
    pub org_id: OrgId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: EventId,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub last_attempt_at: Option<Timestamp>,
    /// When the next attempt is due; `None` once succeeded or failed.
    pub next_attempt_at: Option<Timestamp>,
    pub last_response_status: Option<u16>,
    /// What went wrong on the last attempt, in our words.
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_without_credentials() {
        for good in [
            "https://hooks.example.com/thunderphone",
            "http://10.0.0.5:8080/x?y=1",
            "https://[2001:db8::1]/h",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "https://exa mple.com/",
            "https://example.com/\r\nX: y",
            "file:///etc/passwd",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(WebhookUrl::parse(&long).is_err());
    }

    #[test]
    fn url_parts() {
        let url = WebhookUrl::parse("https://[2001:db8::1]/h").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (url.host(), url.port(), url.is_https()),
            ("2001:db8::1", 443, true)
        );
        let url = WebhookUrl::parse("http://127.1:81/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (url.host(), url.port(), url.is_https()),
            ("127.0.0.1", 81, false)
        );
    }

    #[test]
    fn event_type_sets() {
        assert!(EventTypes::new([]).is_err());
        assert!(EventTypes::new([EventType::WebhookTest]).is_err());
        let set = EventTypes::new([EventType::Deleted, EventType::Created, EventType::Created]);
        assert_eq!(
            set.map(|s| s.as_slice().to_vec()),
            Ok(vec![EventType::Created, EventType::Deleted])
        );
        assert!(!EventTypes::all().contains(EventType::WebhookTest));
    }
}
