//! What every request and response passes through before the pages and
//! server functions: bounded bodies, the HTTP status a server function's
//! error names (also when it failed before it ran), and the security
//! headers.

use std::sync::Arc;

use app::error::AppError;

use crate::answer::{refusal, Reader};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The sign-in form is small; nothing else needs more than a template.
pub const LOGIN_BODY_LIMIT: usize = 4 * 1024;
pub const BODY_LIMIT: usize = 256 * 1024;
/// Error bodies of server functions are read back to give them a status.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Bounds every request body (the sign-in form gets little).
pub async fn bounded_bodies(req: Request, next: Next) -> Response {
    let limit = if req.uri().path() == "/api/login" {
        LOGIN_BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    let path = req.uri().path().to_string();
    let too_large = || {
        let e = AppError::Request(format!("the request body is larger than {limit} bytes"));
        refusal(&path, Some(StatusCode::PAYLOAD_TOO_LARGE), e)
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, limit).await else {
        return too_large();
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A server function's error answers with the status its [`AppError`]
/// names (and `Retry-After` when it says when), including errors raised
/// before the function ran, such as arguments that could not be decoded
/// (400, never 500).
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let api = Reader::of(req.uri().path()) == Reader::ServerFunction;
    let res = next.run(req).await;
    if !api
        || !res
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, ERROR_BODY_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(e) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(secs) = e.retry_after() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Which security headers to send.
#[derive(Clone, Debug, Default)]
pub struct HeaderPolicy {
    /// `Strict-Transport-Security`, when the console is reached over https.
    pub hsts: bool,
}

/// A page that set no policy of its own may load nothing but its styles.
const FALLBACK_PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Everything else (JSON, files, streams) may load nothing at all.
const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Security headers on every response. Pages set their own
/// Content-Security-Policy with the nonce of their inline scripts (see the
/// shell); anything else gets a policy that allows nothing.
pub async fn security_headers(
    State(policy): State<Arc<HeaderPolicy>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = if html {
            FALLBACK_PAGE_POLICY
        } else {
            NON_PAGE_POLICY
        };
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page that carries a capability in its URL says `no-referrer`.
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    if policy.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}
