//! The HTTP surface's shape, shared by the console and its CLI client (the
//! API's paths and headers), and the one place that turns an error into a
//! response, by who reads it:
//! `/api/v1` and the live streams answer a `Problem` (the API's one error
//! shape), server functions the JSON of their [`AppError`] (the pages
//! decode it), pages plain text. Every layer, extractor and handler that
//! refuses a request answers through here; which paths are which is
//! [`Reader::of`], and nowhere else.

use app::error::{AppError, FieldError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The versioned JSON API's prefix.
pub const API_V1: &str = "/api/v1/";
/// The server functions' prefix (and the pages' live stream).
const SERVER_FUNCTIONS: &str = "/api/";
/// The pages' live stream, whose refusals are `Problem`s like the API's.
pub const LIVE_STREAM: &str = "/api/live";
/// Where `tenantry login` trades a user name and password for a token.
pub const TOKEN_EXCHANGE_PATH: &str = "/api/v1/auth/token";
/// The header a retried create or operation repeats to be done once.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The header on an answer given again for a repeated idempotency key.
pub const REPLAYED: &str = "idempotent-replayed";

/// Who reads a path's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// `/api/v1` and the live streams: a `Problem`.
    Api,
    /// Server functions: the `AppError` as JSON.
    ServerFunction,
    /// Pages and files: plain text.
    Page,
}

impl Reader {
    pub fn of(path: &str) -> Self {
        if path.starts_with(API_V1) || path == LIVE_STREAM {
            Self::Api
        } else if path.starts_with(SERVER_FUNCTIONS) {
            Self::ServerFunction
        } else {
            Self::Page
        }
    }
}

/// Every error of `/api/v1`: a stable code, a message for people, and the
/// fields at fault (empty unless `error` is `invalid`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// One of bad_request, unauthorized, forbidden, not_found,
    /// method_not_allowed, conflict, precondition_failed, payload_too_large,
    /// unsupported_media_type, invalid, precondition_required,
    /// too_many_requests, unavailable, internal.
    pub error: String,
    pub message: String,
    pub fields: Vec<FieldError>,
}

/// An `/api/v1` error on its way out.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: Problem,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

fn code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        412 => "precondition_failed",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        428 => "precondition_required",
        429 => "too_many_requests",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

fn status_of(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            problem: Problem {
                error: code(status).into(),
                message: message.into(),
                fields: vec![],
            },
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The same error with a status of its own.
    fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self.problem.error = code(status).into();
        self
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let fields = match &e {
            AppError::Invalid(f) => f.clone(),
            _ => vec![],
        };
        Self {
            status: status_of(&e),
            problem: Problem {
                error: code(status_of(&e)).into(),
                message: e.to_string(),
                fields,
            },
            retry_after: e.retry_after(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.problem)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// `e` answered as `path`'s reader expects it, with the status `e` names
/// (or `status`, when the refusal has one of its own).
pub fn refusal(path: &str, status: Option<StatusCode>, e: AppError) -> Response {
    let status = status.unwrap_or_else(|| status_of(&e));
    match Reader::of(path) {
        Reader::Api => ApiError::from(e).with_status(status).into_response(),
        Reader::ServerFunction => {
            let body = serde_json::to_string(&e).unwrap_or_default();
            let mut res =
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Some(secs) = e.retry_after() {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            res
        }
        Reader::Page => (status, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reader_gets_its_shape() {
        assert_eq!(Reader::of("/api/v1/tenants"), Reader::Api);
        assert_eq!(Reader::of("/api/live"), Reader::Api);
        assert_eq!(Reader::of("/api/list_tenants"), Reader::ServerFunction);
        assert_eq!(Reader::of("/tenants"), Reader::Page);
        let json = |r: &Response| {
            r.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let r = refusal("/api/v1/tenants", None, AppError::Unauthorized);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(&r).as_deref(), Some("application/json"));
        let r = refusal(
            "/api/login",
            Some(StatusCode::PAYLOAD_TOO_LARGE),
            AppError::Request("big".into()),
        );
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(json(&r).as_deref(), Some("application/json"));
        let r = refusal("/tenants", None, AppError::Unavailable("down".into()));
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(json(&r).is_some_and(|t| t.starts_with("text/plain")));
    }
}
