//! VoIP credentials as stored: JSON text in `voip_connections.credentials`.
//!
//! The JSON shape is private to this store and tagged by provider. The
//! serde types here exist only for the moment of (de)serialising and hold
//! the secrets as plain strings, so they are never `Debug`: nothing can
//! print them by accident. A later migration encrypts the column; only
//! this module changes then.

use serde::{Deserialize, Serialize};
use thunderphone_domain::{Secret, VoipCredentials};

use crate::error::{Failure, corrupt};

/// The stored form. Deliberately without `Debug`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case", deny_unknown_fields)]
enum StoredCredentials {
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

/// Serialises credentials for the `credentials` column.
pub(crate) fn encode(credentials: &VoipCredentials) -> Result<String, Failure> {
    let stored = match credentials {
        VoipCredentials::Twilio {
            account_sid,
            auth_token,
        } => StoredCredentials::Twilio {
            account_sid: account_sid.clone(),
            auth_token: auth_token.expose().to_owned(),
        },
        VoipCredentials::Telnyx { api_key } => StoredCredentials::Telnyx {
            api_key: api_key.expose().to_owned(),
        },
        VoipCredentials::Sip { username, password } => StoredCredentials::Sip {
            username: username.clone(),
            password: password.as_ref().map(|p| p.expose().to_owned()),
        },
    };
    serde_json::to_string(&stored)
        .map_err(|e| corrupt("credentials", format_args!("{:?} error", e.classify())))
}

/// Reads the `credentials` column back.
pub(crate) fn decode(json: &str) -> Result<VoipCredentials, Failure> {
    // serde's messages may quote the offending value: report only where.
    let stored: StoredCredentials = serde_json::from_str(json).map_err(|e| {
        corrupt(
            "credentials",
            format_args!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(match stored {
        StoredCredentials::Twilio {
            account_sid,
            auth_token,
        } => VoipCredentials::Twilio {
            account_sid,
            auth_token: Secret::new(auth_token),
        },
        StoredCredentials::Telnyx { api_key } => VoipCredentials::Telnyx {
            api_key: Secret::new(api_key),
        },
        StoredCredentials::Sip { username, password } => VoipCredentials::Sip {
            username,
            password: password.map(Secret::new),
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_provider() {
        let all = [
            VoipCredentials::Twilio {
                account_sid: "AC1".into(),
                auth_token: Secret::new("t"),
            },
            VoipCredentials::Telnyx {
                api_key: Secret::new("k"),
            },
            VoipCredentials::Sip {
                username: Some("u".into()),
                password: Some(Secret::new("p")),
            },
            VoipCredentials::Sip {
                username: None,
                password: None,
            },
        ];
        for credentials in all {
            let json = encode(&credentials).unwrap();
            assert!(json.contains(credentials.provider().as_str()), "{json}");
            assert_eq!(decode(&json).unwrap(), credentials);
        }
    }

    #[test]
    fn errors_do_not_echo_the_secret() {
        let bad = r#"{"provider":"telnyx","api_key":"hunter2","extra":"hunter2"}"#;
        let Err(failure) = decode(bad) else {
            panic!("unknown field must be refused")
        };
        let message = failure.into_repo().to_string();
        assert!(!message.contains("hunter2"), "{message}");
    }
}
