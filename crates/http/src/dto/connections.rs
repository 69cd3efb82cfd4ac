//! VoIP connection requests and responses (API.md §12). Credentials are
//! write-only: they are parsed from requests and never serialised.

use std::fmt;

use serde::{Deserialize, Serialize};
use thunderphone_app::{FieldError, NewConnectionRequest};
use thunderphone_domain::{
    DisplayName, ParseError, Secret, SipPassword, SipUri, SipUsername, TwilioAccountSid,
    VoipConnection, VoipCredentials, VoipProvider,
};
use utoipa::ToSchema;

use super::names::ProviderName;
use super::timestamp;
use crate::Problem;

/// A VoIP connection; never includes credentials.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VoipConnection)]
pub struct ConnectionDto {
    /// Id.
    #[schema(minimum = 1)]
    pub id: i64,
    /// Org.
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Name.
    #[schema(example = "Office PBX")]
    pub name: String,
    /// `twilio`, `telnyx` or `sip`.
    #[schema(value_type = ProviderName, example = "sip")]
    pub provider: &'static str,
    /// Where the SIP trunk answers.
    #[schema(example = "sip:pbx.example.com:5060")]
    pub termination_uri: Option<String>,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&VoipConnection> for ConnectionDto {
    fn from(c: &VoipConnection) -> Self {
        Self {
            id: c.id.get(),
            org_id: c.org_id.get(),
            name: c.name.to_string(),
            provider: c.provider.as_str(),
            termination_uri: c.termination_uri.as_ref().map(|u| u.as_str().to_owned()),
            created_at: timestamp(c.created_at),
        }
    }
}

/// A credential value from a request; `Debug` never prints it.
#[derive(Clone, Deserialize, ToSchema)]
#[schema(value_type = String)]
pub struct SecretString(String);

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Credentials by provider: twilio `{account_sid, auth_token}`, telnyx
/// `{api_key}`, sip `{username, password}` (both optional for trunks that
/// authorise by IP). A value SIP or HTTP cannot carry is a 422 naming
/// `credentials.<field>`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = VoipCredentials)]
#[serde(deny_unknown_fields)]
pub struct CredentialsBody {
    /// Twilio account SID: `AC` and 32 hex digits.
    #[schema(pattern = "^AC[0-9a-fA-F]{32}$", min_length = 34, max_length = 34)]
    pub account_sid: Option<String>,
    /// Twilio auth token: 1-512 bytes, no control characters.
    #[schema(
        value_type = Option<String>,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]+$",
        min_length = 1,
        max_length = 512
    )]
    pub auth_token: Option<SecretString>,
    /// Telnyx API key: 1-512 bytes, no control characters.
    #[schema(
        value_type = Option<String>,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]+$",
        min_length = 1,
        max_length = 512
    )]
    pub api_key: Option<SecretString>,
    /// SIP digest username, an RFC 3261 user part: letters, digits,
    /// `-_.!~*'()&=+$,;?/` and `%HH` escapes (`%40` for `@`; escapes of
    /// control characters are refused).
    #[schema(
        pattern = "^([A-Za-z0-9\\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$",
        min_length = 1,
        max_length = 256,
        example = "+15551234567"
    )]
    pub username: Option<String>,
    /// SIP digest password: 1-512 bytes, no control characters.
    #[schema(
        value_type = Option<String>,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]+$",
        min_length = 1,
        max_length = 512
    )]
    pub password: Option<SecretString>,
}

/// `POST /v1/voip-connections`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreateVoipConnectionRequest)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    /// 1–100 characters, no control characters; surrounding whitespace
    /// is trimmed.
    #[schema(value_type = String, required = true, min_length = 1, pattern = r#"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]|[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u001F\u007F-\u009F]{0,98}[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"#, example = "Office PBX")]
    pub name: Option<String>,
    /// `twilio`, `telnyx` or `sip`.
    #[schema(value_type = ProviderName, required = true, example = "sip")]
    pub provider: Option<String>,
    /// Required for `sip`: `sip:[user@]host[:port][;params]`, each part
    /// of the characters RFC 3261 allows there; no whitespace, control
    /// characters or password.
    #[schema(
        pattern = "^[sS][iI][pP][sS]?:[A-Za-z0-9\\-_.!~*'()&=+$,;?/:%\\[\\]@]+$",
        min_length = 5,
        max_length = 255,
        example = "sip:pbx.example.com:5060"
    )]
    pub termination_uri: Option<String>,
    /// Write-only credentials for the provider.
    #[schema(value_type = CredentialsBody, required = true)]
    pub credentials: Option<CredentialsBody>,
}

/// A required credential, parsed by its domain type; the error names
/// `credentials.{field}`.
fn required<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Result<T, ParseError>,
) -> Option<T> {
    let field = format!("credentials.{field}");
    match value.map(parse) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
        None => {
            errors.push(FieldError::new(field, "is required for this provider"));
            None
        }
    }
}

fn not_for(errors: &mut Vec<FieldError>, provider: VoipProvider, fields: &[(&str, bool)]) {
    for (field, present) in fields {
        if *present {
            errors.push(FieldError::new(
                format!("credentials.{field}"),
                format!("does not apply to {provider} connections"),
            ));
        }
    }
}

impl ConnectionBody {
    /// Validates the body, reporting every invalid field.
    pub fn into_request(self) -> Result<NewConnectionRequest, Problem> {
        let mut errors = Vec::new();
        let name = match self.name.as_deref().map(DisplayName::parse) {
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                errors.push(FieldError::new("name", e.to_string()));
                None
            }
            None => {
                errors.push(FieldError::new("name", "is required"));
                None
            }
        };
        let provider = match self.provider.as_deref().map(str::parse::<VoipProvider>) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                errors.push(FieldError::new("provider", e.to_string()));
                None
            }
            None => {
                errors.push(FieldError::new("provider", "is required"));
                None
            }
        };
        let termination_uri = match self.termination_uri.as_deref().map(SipUri::parse) {
            Some(Ok(u)) => Some(u),
            Some(Err(e)) => {
                errors.push(FieldError::new("termination_uri", e.to_string()));
                None
            }
            None => None,
        };
        let credentials = match (provider, self.credentials) {
            (Some(provider), Some(c)) => credentials(&mut errors, provider, c),
            (Some(_), None) => {
                errors.push(FieldError::new("credentials", "is required"));
                None
            }
            (None, _) => None,
        };
        match (name, credentials) {
            (Some(name), Some(credentials)) if errors.is_empty() => Ok(NewConnectionRequest {
                name,
                termination_uri,
                credentials,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

/// A credential value from the body, if given.
fn secret(value: &Option<SecretString>) -> Option<&str> {
    value.as_ref().map(|s| s.0.as_str())
}

fn credentials(
    errors: &mut Vec<FieldError>,
    provider: VoipProvider,
    c: CredentialsBody,
) -> Option<VoipCredentials> {
    let before = errors.len();
    let creds = match provider {
        VoipProvider::Twilio => {
            not_for(
                errors,
                provider,
                &[
                    ("api_key", c.api_key.is_some()),
                    ("username", c.username.is_some()),
                    ("password", c.password.is_some()),
                ],
            );
            let sid = required(
                errors,
                "account_sid",
                c.account_sid.as_deref(),
                TwilioAccountSid::parse,
            );
            let token = required(errors, "auth_token", secret(&c.auth_token), Secret::parse);
            sid.zip(token)
                .map(|(account_sid, auth_token)| VoipCredentials::Twilio {
                    account_sid,
                    auth_token,
                })
        }
        VoipProvider::Telnyx => {
            not_for(
                errors,
                provider,
                &[
                    ("account_sid", c.account_sid.is_some()),
                    ("auth_token", c.auth_token.is_some()),
                    ("username", c.username.is_some()),
                    ("password", c.password.is_some()),
                ],
            );
            required(errors, "api_key", secret(&c.api_key), Secret::parse)
                .map(|api_key| VoipCredentials::Telnyx { api_key })
        }
        VoipProvider::Sip => {
            not_for(
                errors,
                provider,
                &[
                    ("account_sid", c.account_sid.is_some()),
                    ("auth_token", c.auth_token.is_some()),
                    ("api_key", c.api_key.is_some()),
                ],
            );
            if c.username.is_some() != c.password.is_some() {
                errors.push(FieldError::new(
                    "credentials",
                    "give both username and password, or neither",
                ));
            }
            let username = c
                .username
                .as_deref()
                .and_then(|u| required(errors, "username", Some(u), SipUsername::parse));
            let password = secret(&c.password)
                .and_then(|p| required(errors, "password", Some(p), SipPassword::parse));
            Some(VoipCredentials::Sip { username, password })
        }
    };
    creds.filter(|_| errors.len() == before)
}

/// A page of connections.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VoipConnectionList)]
pub struct ConnectionList {
    /// Newest first.
    pub data: Vec<ConnectionDto>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /v1/voip-connections/{id}/import`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ImportPhoneNumbersRequest)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// 1–100 numbers, each once; any common format, normalised to E.164.
    /// Numbers of the demo pool's range (`+1 NPA 555-0100`–`0199`) are
    /// refused.
    #[schema(value_type = Vec<String>, required = true, min_items = 1, max_items = 100, example = json!(["+14155552671"]))]
    pub numbers: Option<Vec<String>>,
}
