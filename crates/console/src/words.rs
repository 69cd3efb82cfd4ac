//! The application's errors in plain words, and which form field each
//! concerns, so a page can show the message next to the field.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use thunderphone_app::AppError;

/// An error to show on a page: a message for the form as a whole and one
/// per field.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    /// The HTTP status the page is answered with.
    pub status: u16,
    /// Not tied to one field.
    pub general: Option<String>,
    /// By field name.
    pub fields: BTreeMap<String, String>,
}

impl Shown {
    /// The message of `field`, or `""`.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// One message for one field.
    pub fn on(field: &str, message: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_owned(), message.into());
        Shown {
            status: 422,
            general: None,
            fields,
        }
    }

    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }
}

/// Says `error` the way a person reads it.
pub fn plain(error: &AppError) -> Shown {
    let general = |status: u16, text: String| Shown {
        status,
        general: Some(text),
        fields: BTreeMap::new(),
    };
    match error {
        AppError::Validation(errors) | AppError::InvalidAgent(errors) => Shown {
            status: 422,
            general: None,
            fields: errors
                .iter()
                .map(|e| (e.field.clone(), sentence(&e.message)))
                .collect(),
        },
        AppError::Unauthorized => general(401, "Your session has ended; sign in again.".into()),
        AppError::Forbidden(_) => general(
            403,
            "Your role in this organisation does not allow this; ask an admin.".into(),
        ),
        AppError::NotFound(what) => general(404, format!("This {what} no longer exists.")),
        AppError::AgentInUse => general(
            409,
            "This agent still answers or places calls for a number; assign the number \
             another agent first."
                .into(),
        ),
        AppError::PreconditionFailed { .. } => general(
            412,
            "This number changed since you opened it; look at it again and redo your change."
                .into(),
        ),
        AppError::NoNumbersAvailable => general(
            409,
            "No free number matches this area code, city or state; try another.".into(),
        ),
        AppError::InvalidStatusTransition(text)
        | AppError::NotVerifiable(text)
        | AppError::LimitReached(text) => general(409, sentence(text)),
        AppError::DestinationNotAllowed(text) => general(422, sentence(text)),
        AppError::Unavailable(_) | AppError::Busy(_) => general(
            503,
            "The service is busy or cannot reach its store; nothing was changed. Try again.".into(),
        ),
        AppError::NotConfigured(text) => general(503, sentence(text)),
        AppError::NumberTaken(numbers) => general(
            409,
            format!(
                "Already held, here or elsewhere: {}.",
                numbers
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        other => {
            tracing::error!(error = %other, "console request failed");
            general(500, "Something went wrong; it has been logged.".into())
        }
    }
}

/// Capitalises and ends with a full stop.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
