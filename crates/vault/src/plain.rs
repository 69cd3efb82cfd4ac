//! The plaintext inside a sealed value: a small JSON document, so the
//! format is explicit and versionable.

use serde::{Deserialize, Serialize};
use thunderphone_domain::{Secret, VoipCredentials};

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
            account_sid: account_sid.clone(),
            auth_token: auth_token.expose().to_owned(),
        },
        VoipCredentials::Telnyx { api_key } => Plain::Telnyx {
            api_key: api_key.expose().to_owned(),
        },
        VoipCredentials::Sip { username, password } => Plain::Sip {
            username: username.clone(),
            password: password.as_ref().map(|p| p.expose().to_owned()),
        },
    };
    serde_json::to_vec(&plain).unwrap_or_default()
}

pub(crate) fn decode(bytes: &[u8]) -> Option<VoipCredentials> {
    Some(match serde_json::from_slice::<Plain>(bytes).ok()? {
        Plain::Twilio {
            account_sid,
            auth_token,
        } => VoipCredentials::Twilio {
            account_sid,
            auth_token: Secret::new(auth_token),
        },
        Plain::Telnyx { api_key } => VoipCredentials::Telnyx {
            api_key: Secret::new(api_key),
        },
        Plain::Sip { username, password } => VoipCredentials::Sip {
            username,
            password: password.map(Secret::new),
        },
    })
}
