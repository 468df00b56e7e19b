//! What a server function's body reads from the request's context: the
//! console, the request, the signed-in staff member.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::use_context;

use super::Console;
use crate::dto::{CurrentStaff, Principal};
use crate::error::AppError;

pub fn console() -> Result<Arc<dyn Console>, AppError> {
    use_context::<super::ConsoleHandle>()
        .map(|h| h.0)
        .ok_or_else(|| AppError::Unavailable("the console service is not running".into()))
}

pub fn request() -> Result<http::request::Parts, AppError> {
    use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::Unavailable("no request in context".into()))
}

/// The signed-in staff member, or 401.
pub fn staff() -> Result<CurrentStaff, AppError> {
    request()?
        .extensions
        .get::<Principal>()
        .and_then(|p| p.0.clone())
        .ok_or(AppError::Unauthorized)
}

/// Both at once: what almost every server function starts with.
pub fn staff_and_console() -> Result<(CurrentStaff, Arc<dyn Console>), AppError> {
    Ok((staff()?, console()?))
}

/// The signed-in staff member, `None` when nobody is (never an error for
/// that).
pub async fn whoami() -> Result<Option<CurrentStaff>, AppError> {
    match staff() {
        Ok(s) => Ok(Some(s)),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs a server function's call and gives its error the HTTP status the
/// error names (401, 403, 422, …) on the response.
pub async fn answer<T>(call: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = call.await;
    if let Err(e) = &result {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(
                http::StatusCode::from_u16(e.http_status())
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}
