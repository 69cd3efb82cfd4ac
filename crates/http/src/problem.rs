//! Error policy of the HTTP layer: every error response is
//! `application/problem+json` (RFC 9457) with the `code` of API.md §10.
//! Application errors map here, once. An unexpected error is logged with
//! its cause and answered with a generic 500 that reveals nothing.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use thunderphone_app::{AppError, FieldError};
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field: the OpenAPI schema of the app's [`FieldError`],
/// which is what a problem's `errors` carries (the app knows no OpenAPI;
/// a test holds the two together).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct ProblemField {
    /// The field, e.g. `area_code` or `numbers[2]`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The `type` member: always `about:blank`, since `code` identifies the
/// problem. Zero-sized, so it costs nothing to carry.
#[derive(Debug, Clone, Copy)]
pub struct AboutBlank;

impl Serialize for AboutBlank {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("about:blank")
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: `code` identifies the problem.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "about:blank")]
    pub type_: AboutBlank,
    /// The HTTP reason phrase.
    #[schema(example = "Unprocessable Entity")]
    pub title: &'static str,
    /// The HTTP status.
    #[schema(example = 422)]
    pub status: u16,
    /// Machine-readable error code (API.md §10).
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// What went wrong and how to fix it.
    #[schema(example = "area_code must be 3 digits, the first 2-9")]
    pub detail: String,
    /// Per-field errors of a 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ProblemField>>)]
    pub errors: Option<Box<[FieldError]>>,
    /// The request's id (`X-Request-Id`), to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub request_id: Option<Box<str>>,
    /// For 412: the current version, so the client can refetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For 429 and 503: seconds to wait before retrying.
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl Problem {
    /// A problem with a status, code and detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            type_: AboutBlank,
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            code,
            detail: detail.into(),
            errors: None,
            request_id: None,
            current_version: None,
            retry_after: None,
        }
    }

    /// 400 `invalid_request`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 422 `validation_failed` with field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::fields(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            errors,
        )
    }

    /// 422 `validation_failed` for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// A problem about fields: the app's field errors as they are, and
    /// their summary as the detail.
    fn fields(status: StatusCode, code: &'static str, errors: Vec<FieldError>) -> Self {
        let mut problem = Self::new(status, code, FieldError::summary(&errors));
        problem.errors = Some(errors.into_boxed_slice());
        problem
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let body = if self.request_id.is_none() {
            let mut with_id = self.clone();
            with_id.request_id = crate::context::current_request_id().map(String::into_boxed_str);
            serde_json::to_vec(&with_id)
        } else {
            serde_json::to_vec(self)
        }
        .unwrap_or_default();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(body)
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        use StatusCode as S;
        let detail = error.to_string();
        match error {
            AppError::Unauthorized => Problem::new(S::UNAUTHORIZED, "unauthorized", detail),
            AppError::Forbidden(_) => Problem::new(S::FORBIDDEN, "forbidden", detail),
            AppError::NotFound(_) => Problem::new(S::NOT_FOUND, "not_found", detail),
            AppError::Validation(errors) => Problem::validation(errors),
            AppError::InvalidAgent(errors) => {
                Problem::fields(S::UNPROCESSABLE_ENTITY, "invalid_agent", errors)
            }
            AppError::InvalidStatusTransition(_) => {
                Problem::new(S::CONFLICT, "invalid_status_transition", detail)
            }
            AppError::NoNumbersAvailable => {
                Problem::new(S::CONFLICT, "no_numbers_available", detail)
            }
            AppError::NumberTaken(_) => Problem::new(S::CONFLICT, "number_taken", detail),
            AppError::NotVerifiable(_) => Problem::new(S::CONFLICT, "not_verifiable", detail),
            AppError::AgentInUse => Problem::new(S::CONFLICT, "agent_in_use", detail),
            AppError::DestinationNotAllowed(message) => Problem::fields(
                S::UNPROCESSABLE_ENTITY,
                "destination_not_allowed",
                vec![FieldError::new("url", message)],
            ),
            AppError::LimitReached(_) => Problem::new(S::CONFLICT, "limit_reached", detail),
            AppError::PreconditionFailed { current } => {
                let mut p = Problem::new(S::PRECONDITION_FAILED, "precondition_failed", detail);
                p.current_version = Some(current.get());
                p
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "dependency unavailable");
                let mut p = Problem::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "a dependency of the service cannot be reached; nothing was changed, retry later",
                );
                p.retry_after = Some(1);
                p
            }
            AppError::Busy(message) => {
                tracing::warn!(%message, "outbound budget spent");
                let mut p = Problem::new(S::SERVICE_UNAVAILABLE, "unavailable", message);
                p.retry_after = Some(1);
                p
            }
            AppError::NotConfigured(message) => {
                tracing::warn!(%message, "request needs configuration the server lacks");
                Problem::new(S::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            AppError::Unexpected(cause) => {
                // The whole chain, once; the client learns nothing of it.
                tracing::error!(cause = format_args!("{cause:#}"), "unexpected error");
                Problem::new(
                    S::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "an unexpected error occurred; it has been logged",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use thunderphone_ports::Unexpected;

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut log) = self.0.lock() {
                log.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_unexpected_error_logs_its_whole_chain_once_and_answers_nothing_of_it() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let cause = Unexpected::context(
            "saving number 7",
            std::io::Error::other("connection reset by peer"),
        );
        let problem = tracing::subscriber::with_default(subscriber, || {
            Problem::from(AppError::Unexpected(cause))
        });

        assert_eq!(problem.status, 500);
        assert_eq!(problem.code, "internal_error");
        assert_eq!(
            problem.detail,
            "an unexpected error occurred; it has been logged"
        );
        let log = String::from_utf8(captured.0.lock().map(|l| l.clone()).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(
            log.matches("saving number 7: connection reset by peer")
                .count(),
            1,
            "{log}"
        );
    }

    /// The schema-only `ProblemField` describes what the app's
    /// `FieldError` writes: the same members, the same values.
    #[test]
    fn field_errors_serialize_as_their_schema_says() {
        let sent = serde_json::to_value(FieldError::new("area_code", "must be 3 digits"));
        let described = serde_json::to_value(ProblemField {
            field: "area_code".into(),
            message: "must be 3 digits".into(),
        });
        assert_eq!(sent.ok(), described.ok());
    }
}
