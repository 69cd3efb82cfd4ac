//! The Telnyx API v2 calls we make, their JSON shapes, and how Telnyx's
//! `errors[]` body reads.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;
use thunderphone_domain::{E164, Secret};

use crate::http::{ApiError, Auth, Body, HttpApi, Request, url};

/// Telnyx's default API root (paths below it have no `/v2`).
pub(crate) const DEFAULT_BASE: &str = "https://api.telnyx.com/v2";

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// "telnyx: <title>: <detail> (error <code>, HTTP <status>)" for each error
/// of the body, or the status alone when the body is not Telnyx's shape.
pub(crate) fn describe_error(status: StatusCode, body: &[u8]) -> String {
    let items = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.errors)
        .unwrap_or_default();
    let parts: Vec<(String, Option<String>)> = items
        .into_iter()
        .filter_map(|item| {
            let text = match (item.title, item.detail) {
                (Some(t), Some(d)) if d != t => format!("{t}: {d}"),
                (Some(t), _) => t,
                (None, Some(d)) => d,
                (None, None) => return None,
            };
            let code = match item.code {
                Some(serde_json::Value::String(code)) => Some(code),
                Some(serde_json::Value::Number(code)) => Some(code.to_string()),
                _ => None,
            };
            Some((text, code))
        })
        .collect();
    let status = status.as_u16();
    match parts.as_slice() {
        [] => format!("telnyx answered HTTP {status}"),
        [(text, Some(code))] => format!("telnyx: {text} (error {code}, HTTP {status})"),
        [(text, None)] => format!("telnyx: {text} (HTTP {status})"),
        many => {
            let joined: Vec<String> = many
                .iter()
                .map(|(text, code)| match code {
                    Some(code) => format!("{text} (error {code})"),
                    None => text.clone(),
                })
                .collect();
            format!("telnyx: {} (HTTP {status})", joined.join("; "))
        }
    }
}

#[derive(Debug, Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct Listed<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct AvailableNumber {
    phone_number: String,
}

/// A number of the account.
#[derive(Debug, Clone, Deserialize)]
pub struct PhoneNumberRecord {
    pub id: String,
    pub phone_number: String,
    #[serde(default)]
    pub connection_id: Option<String>,
}

/// A number order.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NumberOrder {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
}

/// A connection as `/connections/{id}` shows it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Connection {
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub record_type: Option<String>,
    #[serde(default)]
    pub outbound_voice_profile_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TypedConnection {
    #[serde(default)]
    outbound: Option<Outbound>,
}

#[derive(Debug, Deserialize)]
struct Outbound {
    #[serde(default)]
    outbound_voice_profile_id: Option<String>,
}

/// Telnyx filters numbers by digits; a `+` would match nothing.
fn digits(number: &E164) -> String {
    number.as_str().trim_start_matches('+').to_owned()
}

/// One Telnyx account, reached through `http` with its API key.
pub(crate) struct Account<'a> {
    pub http: &'a HttpApi,
    pub base: &'a str,
    auth: Auth,
}

impl<'a> Account<'a> {
    pub fn new(http: &'a HttpApi, base: &'a str, api_key: &Secret) -> Self {
        Self {
            http,
            base,
            auth: Auth::Bearer(api_key.clone()),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        segments: &[&str],
        query: Vec<(&'static str, String)>,
    ) -> Result<T, ApiError> {
        let request = Request::get(url(self.base, segments), query);
        self.http.send_json(&request, &self.auth).await
    }

    /// Numbers on offer for `filters` (`filter[...]` pairs).
    pub async fn available(
        &self,
        filters: Vec<(&'static str, String)>,
    ) -> Result<Vec<String>, ApiError> {
        let list: Listed<AvailableNumber> = self.get(&["available_phone_numbers"], filters).await?;
        Ok(list.data.into_iter().map(|n| n.phone_number).collect())
    }

    /// The account's record for exactly `number`, if any.
    pub async fn find_number(&self, number: &E164) -> Result<Option<PhoneNumberRecord>, ApiError> {
        let query = vec![("filter[phone_number]", digits(number))];
        let list: Listed<PhoneNumberRecord> = self.get(&["phone_numbers"], query).await?;
        Ok(list
            .data
            .into_iter()
            .find(|n| n.phone_number == number.as_str()))
    }

    /// Orders placed with `reference` as their customer reference.
    pub async fn orders_by_reference(&self, reference: &str) -> Result<Vec<NumberOrder>, ApiError> {
        let query = vec![("filter[customer_reference]", reference.to_owned())];
        let list: Listed<NumberOrder> = self.get(&["number_orders"], query).await?;
        Ok(list.data)
    }

    /// Orders `number`, tagged with `reference`, on `connection_id` if given.
    pub async fn create_order(
        &self,
        number: &E164,
        connection_id: Option<&str>,
        reference: &str,
    ) -> Result<NumberOrder, ApiError> {
        let mut body = json!({
            "phone_numbers": [{ "phone_number": number.as_str() }],
            "customer_reference": reference,
        });
        if let (Some(id), Some(map)) = (connection_id, body.as_object_mut()) {
            map.insert("connection_id".into(), json!(id));
        }
        let request = Request::post(url(self.base, &["number_orders"]), Body::Json(body));
        let order: Data<NumberOrder> = self.http.send_json(&request, &self.auth).await?;
        Ok(order.data)
    }

    /// The order `id` as it is now.
    pub async fn order(&self, id: &str) -> Result<NumberOrder, ApiError> {
        let order: Data<NumberOrder> = self.get(&["number_orders", id], Vec::new()).await?;
        Ok(order.data)
    }

    /// Releases the number with record id `id`.
    pub async fn delete_number(&self, id: &str) -> Result<(), ApiError> {
        let request = Request::delete(url(self.base, &["phone_numbers", id]));
        self.http.send(&request, &self.auth).await.map(drop)
    }

    /// `GET /connections/{id}`.
    pub async fn connection(&self, id: &str) -> Result<Connection, ApiError> {
        let conn: Data<Connection> = self.get(&["connections", id], Vec::new()).await?;
        Ok(conn.data)
    }

    /// The outbound voice profile from the typed endpoint of a connection
    /// (`/credential_connections/{id}` …), for when `/connections` omits it.
    pub async fn typed_outbound_profile(
        &self,
        record_type: &str,
        id: &str,
    ) -> Result<Option<String>, ApiError> {
        let collection = match record_type {
            "credential_connection" => "credential_connections",
            "ip_connection" => "ip_connections",
            "fqdn_connection" => "fqdn_connections",
            _ => return Ok(None),
        };
        let conn: Data<TypedConnection> = self.get(&[collection, id], Vec::new()).await?;
        Ok(conn
            .data
            .outbound
            .and_then(|o| o.outbound_voice_profile_id)
            .filter(|p| !p.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies() {
        let body = br#"{"errors": [{"code": "10009", "title": "Authentication failed", "detail": "Could not understand the provided credentials.", "meta": {"url": "https://developers.telnyx.com/docs/overview/errors/10009"}}]}"#;
        assert_eq!(
            describe_error(StatusCode::UNAUTHORIZED, body),
            "telnyx: Authentication failed: Could not understand the provided credentials. (error 10009, HTTP 401)"
        );
        let two = br#"{"errors": [{"code": 85001, "title": "Number unavailable"}, {"detail": "Try another"}]}"#;
        assert_eq!(
            describe_error(StatusCode::UNPROCESSABLE_ENTITY, two),
            "telnyx: Number unavailable (error 85001); Try another (HTTP 422)"
        );
        assert_eq!(
            describe_error(StatusCode::BAD_GATEWAY, b"nope"),
            "telnyx answered HTTP 502"
        );
    }
}
