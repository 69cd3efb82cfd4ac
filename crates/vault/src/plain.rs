//! The plaintext inside a sealed value: a small JSON document, so the
//! format is explicit and versionable. The format is unchanged since the
//! first version: values are stored as plain strings and parsed into their
//! domain types when read, so a value stored before a rule existed is
//! reported as [`VaultError::Outdated`] instead of failing to open.

use serde::{Deserialize, Serialize};
use thunderphone_domain::{
    ParseError, Secret, SipPassword, SipUsername, TwilioAccountSid, VoipCredentials,
};
use thunderphone_ports::VaultError;

#[derive(Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
enum Plain {
    Twilio {
        account_sid: String,
        auth_token: String,
    },
    Telnyx {
        api_key: String,
    },
    Sip {
        username: Option<String>,
        password: Option<String>,
    },
}

pub(crate) fn encode(credentials: &VoipCredentials) -> Vec<u8> {
    let plain = match credentials {
        VoipCredentials::Twilio {
            account_sid,
            auth_token,
        } => Plain::Twilio {
            account_sid: account_sid.as_str().to_owned(),
            auth_token: auth_token.expose().to_owned(),
        },
        VoipCredentials::Telnyx { api_key } => Plain::Telnyx {
            api_key: api_key.expose().to_owned(),
        },
        VoipCredentials::Sip { username, password } => Plain::Sip {
            username: username.as_ref().map(|u| u.as_uri_user().to_owned()),
            password: password.as_ref().map(|p| p.expose().to_owned()),
        },
    };
    serde_json::to_vec(&plain).unwrap_or_default()
}

/// Parses a stored value with today's rules; `field` names it in the error.
fn valid<T>(
    field: &'static str,
    value: &str,
    parse: fn(&str) -> Result<T, ParseError>,
) -> Result<T, VaultError> {
    parse(value).map_err(|_| VaultError::Outdated(field))
}

pub(crate) fn decode(bytes: &[u8]) -> Result<VoipCredentials, VaultError> {
    let plain = serde_json::from_slice::<Plain>(bytes).map_err(|_| VaultError::Corrupt)?;
    Ok(match plain {
        Plain::Twilio {
            account_sid,
            auth_token,
        } => VoipCredentials::Twilio {
            account_sid: valid(
                "credentials.account_sid",
                &account_sid,
                TwilioAccountSid::parse,
            )?,
            auth_token: valid("credentials.auth_token", &auth_token, Secret::parse)?,
        },
        Plain::Telnyx { api_key } => VoipCredentials::Telnyx {
            api_key: valid("credentials.api_key", &api_key, Secret::parse)?,
        },
        Plain::Sip { username, password } => VoipCredentials::Sip {
            username: username
                .map(|u| valid("credentials.username", &u, SipUsername::parse))
                .transpose()?,
            password: password
                .map(|p| valid("credentials.password", &p, SipPassword::parse))
                .transpose()?,
        },
    })
}
