//! The Twilio REST calls we make (API 2010-04-01 and Trunking v1), their
//! JSON shapes, and how Twilio's error body reads.

use reqwest::StatusCode;
use serde::Deserialize;
use thunderphone_domain::{E164, Secret};

use crate::http::{ApiError, Auth, Body, HttpApi, Request, url};

/// Twilio's default API host.
pub(crate) const DEFAULT_API_BASE: &str = "https://api.twilio.com";
/// Twilio's Elastic SIP Trunking host.
pub(crate) const DEFAULT_TRUNKING_BASE: &str = "https://trunking.twilio.com";

/// Twilio's error body: `{code, message, more_info, status}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

/// "twilio: <message> (error <code>, HTTP <status>)", or the status alone
/// when the body is not Twilio's error shape.
pub(crate) fn describe_error(status: StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            code,
            message: Some(message),
        }) => match code {
            Some(code) => format!("twilio: {message} (error {code}, HTTP {})", status.as_u16()),
            None => format!("twilio: {message} (HTTP {})", status.as_u16()),
        },
        _ => format!("twilio answered HTTP {status}"),
    }
}

/// An IncomingPhoneNumber: a number the account owns.
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub voice_url: Option<String>,
    #[serde(default)]
    pub trunk_sid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IncomingList {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Debug, Deserialize)]
struct AvailableNumber {
    phone_number: String,
}

#[derive(Debug, Deserialize)]
struct AvailableList {
    #[serde(default)]
    available_phone_numbers: Vec<AvailableNumber>,
}

/// The account resource, for the credentials check.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AccountInfo {
    #[serde(default)]
    pub status: Option<String>,
}

/// A trunk's origination URL (where Twilio sends inbound calls).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OriginationUrl {
    #[serde(default)]
    pub sip_url: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct OriginationList {
    #[serde(default)]
    origination_urls: Vec<OriginationUrl>,
}

/// An Elastic SIP trunk: read to learn that it exists; nothing of it is
/// quoted in a check (its names are free text).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Trunk {}

#[derive(Debug, Deserialize)]
struct CredentialLists {
    #[serde(default)]
    credential_lists: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct AclLists {
    #[serde(default)]
    ip_access_control_lists: Vec<serde_json::Value>,
}

/// One Twilio account, reached through `http` with its own credentials.
pub(crate) struct Account<'a> {
    pub http: &'a HttpApi,
    pub base: &'a str,
    pub sid: &'a str,
    auth: Auth,
}

impl<'a> Account<'a> {
    pub fn new(http: &'a HttpApi, base: &'a str, sid: &'a str, token: &Secret) -> Self {
        Self {
            http,
            base,
            sid,
            auth: Auth::Basic {
                user: sid.to_owned(),
                password: token.clone(),
            },
        }
    }

    fn account_url(&self, rest: &[&str]) -> String {
        let mut segments = vec!["2010-04-01", "Accounts", self.sid];
        segments.extend_from_slice(rest);
        url(self.base, &segments)
    }

    /// `GET /Accounts/{Sid}.json`.
    pub async fn fetch(&self) -> Result<AccountInfo, ApiError> {
        let url = url(
            self.base,
            &["2010-04-01", "Accounts", &format!("{}.json", self.sid)],
        );
        self.http
            .send_json(&Request::get(url, Vec::new()), &self.auth)
            .await
    }

    /// US local numbers on offer, filtered by `query`.
    pub async fn available_local(
        &self,
        query: Vec<(&'static str, String)>,
    ) -> Result<Vec<String>, ApiError> {
        let url = self.account_url(&["AvailablePhoneNumbers", "US", "Local.json"]);
        let list: AvailableList = self
            .http
            .send_json(&Request::get(url, query), &self.auth)
            .await?;
        Ok(list
            .available_phone_numbers
            .into_iter()
            .map(|n| n.phone_number)
            .collect())
    }

    /// The account's IncomingPhoneNumber for exactly `number`, if any.
    pub async fn find_incoming(&self, number: &E164) -> Result<Option<IncomingNumber>, ApiError> {
        let url = self.account_url(&["IncomingPhoneNumbers.json"]);
        let query = vec![("PhoneNumber", number.as_str().to_owned())];
        let list: IncomingList = self
            .http
            .send_json(&Request::get(url, query), &self.auth)
            .await?;
        Ok(list
            .incoming_phone_numbers
            .into_iter()
            .find(|n| n.phone_number == number.as_str()))
    }

    /// Buys `number`, pointing its voice webhook at `voice_url`.
    pub async fn buy(&self, number: &E164, voice_url: &str) -> Result<(), ApiError> {
        let url = self.account_url(&["IncomingPhoneNumbers.json"]);
        let form = vec![
            ("PhoneNumber", number.as_str().to_owned()),
            ("VoiceUrl", voice_url.to_owned()),
            ("VoiceMethod", "POST".to_owned()),
        ];
        self.http
            .send(&Request::post(url, Body::Form(form)), &self.auth)
            .await
            .map(drop)
    }

    /// Releases the IncomingPhoneNumber `sid`.
    pub async fn delete_incoming(&self, sid: &str) -> Result<(), ApiError> {
        let url = self.account_url(&["IncomingPhoneNumbers", &format!("{sid}.json")]);
        self.http
            .send(&Request::delete(url), &self.auth)
            .await
            .map(drop)
    }

    /// `GET /v1/Trunks/{Sid}` on the trunking host.
    pub async fn trunk(&self, trunking_base: &str, trunk_sid: &str) -> Result<Trunk, ApiError> {
        let url = url(trunking_base, &["v1", "Trunks", trunk_sid]);
        self.http
            .send_json(&Request::get(url, Vec::new()), &self.auth)
            .await
    }

    /// The trunk's origination URLs.
    pub async fn origination_urls(
        &self,
        trunking_base: &str,
        trunk_sid: &str,
    ) -> Result<Vec<OriginationUrl>, ApiError> {
        let url = url(
            trunking_base,
            &["v1", "Trunks", trunk_sid, "OriginationUrls"],
        );
        let list: OriginationList = self
            .http
            .send_json(&Request::get(url, Vec::new()), &self.auth)
            .await?;
        Ok(list.origination_urls)
    }

    /// How many credential lists and IP access control lists the trunk has.
    pub async fn trunk_auth_lists(
        &self,
        trunking_base: &str,
        trunk_sid: &str,
    ) -> Result<(usize, usize), ApiError> {
        let creds_url = url(
            trunking_base,
            &["v1", "Trunks", trunk_sid, "CredentialLists"],
        );
        let acl_url = url(
            trunking_base,
            &["v1", "Trunks", trunk_sid, "IpAccessControlLists"],
        );
        let creds = Request::get(creds_url, Vec::new());
        let acls = Request::get(acl_url, Vec::new());
        let (creds, acls) = tokio::join!(
            self.http.send_json::<CredentialLists>(&creds, &self.auth),
            self.http.send_json::<AclLists>(&acls, &self.auth),
        );
        Ok((
            creds?.credential_lists.len(),
            acls?.ip_access_control_lists.len(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let body = br#"{"code": 21452, "message": "No numbers found", "more_info": "https://www.twilio.com/docs/errors/21452", "status": 400}"#;
        assert_eq!(
            describe_error(StatusCode::BAD_REQUEST, body),
            "twilio: No numbers found (error 21452, HTTP 400)"
        );
        assert_eq!(
            describe_error(StatusCode::BAD_GATEWAY, b"<html>"),
            "twilio answered HTTP 502 Bad Gateway"
        );
        assert_eq!(
            describe_error(StatusCode::NOT_FOUND, br#"{"message": "gone"}"#),
            "twilio: gone (HTTP 404)"
        );
    }
}
