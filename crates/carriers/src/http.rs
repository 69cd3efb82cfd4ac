//! What the carrier clients share: one HTTP client with a timeout, a bounded
//! retry loop for 429 and 5xx answers that honours `Retry-After`, and the
//! translation of transport failures and vendor error bodies into
//! [`ApiError`], which each adapter maps to its port's error at the edge.
//!
//! Credentials are attached per attempt from [`Auth`], whose secrets are
//! exposed only while the request is built; nothing here logs headers.

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use thunderphone_domain::{E164, Secret};
use thunderphone_ports::ProviderError;

use crate::retry::{Idempotence, retry_after, retryable};
use crate::{ConfigError, RetryPolicy};

/// How a request authenticates.
#[derive(Clone)]
pub(crate) enum Auth {
    /// HTTP Basic (Twilio: account SID and auth token).
    Basic { user: String, password: Secret },
    /// `Authorization: Bearer` (Telnyx API keys).
    Bearer(Secret),
}

/// A request body.
pub(crate) enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(serde_json::Value),
}

/// One vendor request, rebuilt for every try.
pub(crate) struct Request {
    pub method: Method,
    pub url: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Request {
    /// A GET of `url` with `query`.
    pub fn get(url: String, query: Vec<(&'static str, String)>) -> Self {
        Self {
            method: Method::GET,
            url,
            query,
            body: Body::None,
        }
    }

    /// A DELETE of `url`.
    pub fn delete(url: String) -> Self {
        Self {
            method: Method::DELETE,
            url,
            query: Vec::new(),
            body: Body::None,
        }
    }

    /// A POST of `body` to `url`.
    pub fn post(url: String, body: Body) -> Self {
        Self {
            method: Method::POST,
            url,
            query: Vec::new(),
            body,
        }
    }

    fn idempotence(&self) -> Idempotence {
        if self.method == Method::POST {
            Idempotence::Unsafe
        } else {
            Idempotence::Safe
        }
    }
}

/// Why a vendor request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The vendor answered with an error status (after the retries).
    #[error("{message}")]
    Status { status: u16, message: String },
    /// No answer within the request timeout.
    #[error("{vendor} did not answer within {} s", .after.as_secs_f32())]
    Timeout {
        vendor: &'static str,
        after: Duration,
    },
    /// Could not connect or the connection broke.
    #[error("could not reach {vendor}: {reason}")]
    Transport {
        vendor: &'static str,
        reason: String,
    },
    /// A success answer whose body we could not read.
    #[error("unexpected answer from {vendor}: {reason}")]
    Decode {
        vendor: &'static str,
        reason: String,
    },
}

impl ApiError {
    /// The HTTP status, for answers with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The port's view: a 4xx other than 429 is a refusal retrying will not
    /// change; everything else is worth retrying later.
    pub fn into_provider(self) -> ProviderError {
        match self.status() {
            Some(status) if (400..500).contains(&status) && status != 429 => {
                ProviderError::Rejected(self.to_string())
            }
            _ => ProviderError::Unavailable(self.to_string()),
        }
    }
}

/// Turns a vendor's error body into one line for people.
pub(crate) type DescribeError = fn(StatusCode, &[u8]) -> String;

/// A vendor's HTTP endpoint: the client, its retry policy and how its error
/// bodies read.
#[derive(Debug, Clone)]
pub(crate) struct HttpApi {
    client: reqwest::Client,
    vendor: &'static str,
    timeout: Duration,
    retry: RetryPolicy,
    describe: DescribeError,
}

impl HttpApi {
    /// A client whose every request times out after `timeout`.
    pub fn new(
        vendor: &'static str,
        timeout: Duration,
        retry: RetryPolicy,
        describe: DescribeError,
    ) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("thunderphone-numbers/", env!("CARGO_PKG_VERSION")))
            // A vendor API never needs a redirect; following one would send
            // the credentials of this request wherever the answer points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            client,
            vendor,
            timeout,
            retry,
            describe,
        })
    }

    /// Sends `request` until it succeeds, fails for good, or the retries
    /// are used up; returns the body of the 2xx answer.
    pub async fn send(&self, request: &Request, auth: &Auth) -> Result<Vec<u8>, ApiError> {
        let mut attempt = 1;
        loop {
            let outcome = self.build(request, auth).send().await;
            let (error, retry_after) = match outcome {
                Ok(response) if response.status().is_success() => {
                    return response
                        .bytes()
                        .await
                        .map(|b| b.to_vec())
                        .map_err(|e| self.transport_error(&e));
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    let body = response.bytes().await.unwrap_or_default();
                    let error = ApiError::Status {
                        status: status.as_u16(),
                        message: (self.describe)(status, &body),
                    };
                    if !retryable(status, request.idempotence()) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                // The request never left: safe to send again, whatever it is.
                Err(e) if e.is_connect() && !e.is_timeout() => (self.transport_error(&e), None),
                Err(e) => return Err(self.transport_error(&e)),
            };
            let Some(wait) = self.retry.delay(attempt, retry_after) else {
                return Err(error);
            };
            tracing::debug!(vendor = self.vendor, attempt, ?wait, %error, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// [`HttpApi::send`], then reads the JSON body as `T`.
    pub async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        request: &Request,
        auth: &Auth,
    ) -> Result<T, ApiError> {
        let body = self.send(request, auth).await?;
        serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
            vendor: self.vendor,
            reason: e.to_string(),
        })
    }

    fn build(&self, request: &Request, auth: &Auth) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .request(request.method.clone(), &request.url)
            .header(header::ACCEPT, "application/json");
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        builder = match &request.body {
            Body::None => builder,
            Body::Form(fields) => builder.form(fields),
            Body::Json(value) => builder.json(value),
        };
        match auth {
            Auth::Basic { user, password } => builder.basic_auth(user, Some(password.expose())),
            Auth::Bearer(token) => builder.bearer_auth(token.expose()),
        }
    }

    fn transport_error(&self, error: &reqwest::Error) -> ApiError {
        if error.is_timeout() {
            return ApiError::Timeout {
                vendor: self.vendor,
                after: self.timeout,
            };
        }
        // Keep the cause chain (e.g. "connection refused") but not the URL:
        // messages reach logs and, for verifications, customers.
        let mut reason = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(error);
        while let Some(err) = source {
            let text = err.to_string();
            if !reason.contains(&text) {
                if !reason.is_empty() {
                    reason.push_str(": ");
                }
                reason.push_str(&text);
            }
            source = err.source();
        }
        ApiError::Transport {
            vendor: self.vendor,
            reason: without_url(&reason, error.url().map(reqwest::Url::as_str)),
        }
    }
}

/// `reason` with every occurrence of `url` replaced by `[url]`: the URL of a
/// vendor request may carry account ids. An error without a URL is left as
/// it is (replacing the empty string would put `[url]` between every
/// character).
fn without_url(reason: &str, url: Option<&str>) -> String {
    match url {
        Some(url) if !url.is_empty() => reason.replace(url, "[url]"),
        _ => reason.to_owned(),
    }
}

/// Joins `base` (no trailing slash needed) and path segments, each
/// percent-encoded so an id can never change the path.
pub(crate) fn url(base: &str, segments: &[&str]) -> String {
    let mut out = base.trim_end_matches('/').to_owned();
    for segment in segments {
        out.push('/');
        // A segment of dots only would be read as "this" or "parent" folder.
        let dots_only = segment.bytes().all(|b| b == b'.');
        for byte in segment.bytes() {
            if byte.is_ascii_alphanumeric() || (!dots_only && b"-._~".contains(&byte)) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// Checks that a configured base URL is an absolute http(s) URL.
pub(crate) fn check_base_url(field: &'static str, value: &str) -> Result<String, ConfigError> {
    let ok = reqwest::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        Ok(value.trim_end_matches('/').to_owned())
    } else {
        Err(ConfigError::BadUrl {
            field,
            value: value.to_owned(),
        })
    }
}

/// Vendor numbers we can use; one that does not parse is skipped and logged.
pub(crate) fn parse_numbers(vendor: &str, numbers: Vec<String>) -> Vec<E164> {
    numbers
        .into_iter()
        .filter_map(|raw| match E164::parse(&raw) {
            Ok(number) => Some(number),
            Err(_) => {
                tracing::warn!(
                    vendor,
                    raw,
                    "skipping a number the carrier offered that is not valid E.164"
                );
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(
            url("http://x/v2/", &["phone_numbers", "../a b"]),
            "http://x/v2/phone_numbers/..%2Fa%20b"
        );
        assert_eq!(url("http://x", &[".."]), "http://x/%2E%2E");
        assert_eq!(url("http://x", &["PN1.json"]), "http://x/PN1.json");
    }

    #[test]
    fn urls_are_redacted_and_nothing_else() {
        assert_eq!(
            without_url(
                "error sending request for url (http://x/AC1)",
                Some("http://x/AC1")
            ),
            "error sending request for url ([url])"
        );
        assert_eq!(
            without_url("connection refused", None),
            "connection refused"
        );
        assert_eq!(
            without_url("connection refused", Some("")),
            "connection refused"
        );
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(check_base_url("base_url", "https://api.twilio.com/").is_ok());
        assert!(check_base_url("base_url", "ftp://x").is_err());
        assert!(check_base_url("base_url", "api.twilio.com").is_err());
    }

    #[test]
    fn rejected_and_unavailable() {
        let status = |status| ApiError::Status {
            status,
            message: "m".into(),
        };
        assert!(matches!(
            status(400).into_provider(),
            ProviderError::Rejected(_)
        ));
        assert!(matches!(
            status(429).into_provider(),
            ProviderError::Unavailable(_)
        ));
        assert!(matches!(
            status(503).into_provider(),
            ProviderError::Unavailable(_)
        ));
    }
}
