//! Server-function declarations: the console's whole API. Bodies run only on
//! the server, where they reach the engine through one [`Console`] handle in
//! context; the session's principal comes from the request, never from input.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod live;
pub mod operations;
pub mod runs;
pub mod staff;
pub mod stats;
pub mod templates;
pub mod tenants;
pub mod tokens;

#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub use service::{Console, ConsoleHandle};

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use crate::dto::{CurrentStaff, Principal};
    use crate::error::AppError;
    use leptos::prelude::use_context;
    use std::sync::Arc;

    pub fn console() -> Result<Arc<dyn super::Console>, AppError> {
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

    /// Gives an error its HTTP status (401, 403, 422, …) on the response.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
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

    /// Both at once: what almost every server function starts with.
    pub fn staff_and_console() -> Result<(CurrentStaff, Arc<dyn super::Console>), AppError> {
        Ok((staff()?, console()?))
    }
}
