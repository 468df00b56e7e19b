//! The one error type of the app crate: what a server function can answer.
//! Each variant maps to an HTTP status; messages are for people and never
//! carry SQL, stack traces or secrets.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A rule a field broke, named so a form can show it beside the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Sign in required.")]
    Unauthorized,
    #[error("Wrong user name or password.")]
    BadCredentials,
    #[error("The API token is unknown, expired or revoked, or its owner is disabled.")]
    InvalidToken,
    /// A token sent to a page or a console function: tokens are for
    /// `/api/v1` and the live stream only.
    #[error("API tokens work only on /api/v1 and the live stream (/api/live); the console's pages and functions need a signed-in person.")]
    TokenNotAccepted,
    #[error("Your role ({have}) may not {action}; it needs the {need} role.")]
    Forbidden {
        have: String,
        need: String,
        action: String,
    },
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{}", summarise(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    /// An update based on a version that is no longer current.
    #[error("{0}")]
    Stale(String),
    #[error("Too many failed sign-in attempts. Try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    #[error(
        "The console is busy checking other sign-ins. Try again in {retry_after_secs} second(s)."
    )]
    Busy { retry_after_secs: u64 },
    #[error("Your password was generated for you: change it before doing anything else.")]
    PasswordChangeRequired,
    #[error("{0}")]
    Unavailable(String),
    #[error("The request could not be handled: {0}")]
    Request(String),
}

fn summarise(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    format!("Invalid input — {}", parts.join("; "))
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// The message for one field, if this error names it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// Seconds a client should wait before trying again, when it should.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after_secs } | Self::Busy { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthorized
            | Self::BadCredentials
            | Self::InvalidToken
            | Self::TokenNotAccepted => 401,
            Self::Forbidden { .. } | Self::PasswordChangeRequired => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Stale(_) => 412,
            Self::Invalid(_) => 422,
            Self::Throttled { .. } | Self::Busy { .. } => 429,
            Self::Unavailable(_) => 503,
            Self::Request(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m) => Self::Request(m),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// Collects field errors while a form is validated.
#[derive(Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Runs one check and records its failure under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}
