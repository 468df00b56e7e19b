//! Conditional updates (`ETag` / `If-Match`) and retried writes
//! (`Idempotency-Key`).

use app::dto::Principal;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::problem::ApiError;
pub use crate::answer::{IDEMPOTENCY_KEY, REPLAYED};
use crate::http::guards::BODY_LIMIT;
use crate::http::state::AppState;
use crate::store::Claim;

const MAX_KEY: usize = 200;
/// Answers larger than this are not kept (the key is released instead).
const MAX_KEPT: usize = 256 * 1024;

/// `"v3"`-style tags: a template's version, a tenant's `updated_at`.
pub fn etag(kind: char, n: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{kind}{n}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// A JSON answer carrying the resource's ETag (`"<kind><n>"`).
pub fn tagged<T: serde::Serialize>(status: StatusCode, body: T, kind: char, n: i64) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(kind, n));
    res
}

/// The answer with `Location: <path>` (where a created resource or a
/// started run is).
pub fn located(mut res: Response, path: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(path) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The version an update is based on, from `If-Match`: 428 without one,
/// 412 when it is not a tag of this kind. `*` means "whatever is current".
pub fn if_match(headers: &HeaderMap, kind: char) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "send If-Match with the ETag of the version this update is based on",
        ));
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    let tag = value.trim_start_matches("W/").trim_matches('"');
    tag.strip_prefix(kind)
        .and_then(|n| n.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "If-Match does not name a version of this resource",
            )
        })
}

/// Set by a handler whose answer carries a secret shown once (a token, a
/// one-time password): such an answer is never stored, and a repeat of the
/// request is told so instead of getting the secret again.
pub const SECRET_ANSWER: &str = "x-tenantry-secret-answer";

/// An answer with a secret shown once: never cached, never kept for an
/// idempotent repeat.
pub fn secret_answer<T: serde::Serialize>(status: StatusCode, body: T) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(SECRET_ANSWER, HeaderValue::from_static("1"));
    res
}

/// A POST with an `Idempotency-Key` is answered once: a retry with the same
/// key and the same request gets the first answer again (marked
/// `Idempotent-Replayed: true`), one still being answered is a 409, and the
/// key reused for another request a 422. Keys are per staff member and
/// credential (session or token) and kept for a day; server errors are not
/// kept, so they can be retried. The request runs in a task of its own, so
/// a client that hangs up does not leave its key claimed.
pub async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_string));
    let who = req
        .extensions()
        .get::<Principal>()
        .and_then(|p| p.0.as_ref())
        .map(|w| (w.id, w.token));
    let (Some(key), Some((who, token)), &Method::POST) = (key, who, req.method()) else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if !k.trim().is_empty() && k.len() <= MAX_KEY => {
            // A token's keys are its own: another credential of the same
            // person never gets its answers.
            match token {
                Some(t) => format!("t{t}:{k}"),
                None => format!("s:{k}"),
            }
        }
        _ => {
            return ApiError::bad_request(format!(
                "Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters"
            ))
            .into_response()
        }
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {BODY_LIMIT} bytes"),
        )
        .into_response();
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update([0]);
    h.update(parts.uri.path());
    h.update([0]);
    h.update(&bytes);
    let fingerprint = hex::encode(h.finalize());
    let store = state.store.clone();
    match store.claim_idempotency_key(who, &key, &fingerprint).await {
        Err(e) => return ApiError::from(app::error::AppError::from(e)).into_response(),
        Ok(Claim::Fresh) => {}
        Ok(Claim::InProgress) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "a request with this Idempotency-Key is still being answered",
            )
            .into_response()
        }
        Ok(Claim::Mismatch) => {
            return ApiError::from(app::error::AppError::invalid(
                "Idempotency-Key",
                "was already used for a different request",
            ))
            .into_response()
        }
        Ok(Claim::Answered {
            status,
            location,
            body,
        }) => return replay(status, location, body),
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    let task = tokio::spawn(async move {
        let res = next.run(request).await;
        let (mut rparts, rbody) = res.into_parts();
        let out = to_bytes(rbody, usize::MAX).await.unwrap_or_default();
        let secret = rparts.headers.remove(SECRET_ANSWER).is_some();
        let location = rparts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let keep =
            !rparts.status.is_server_error() && rparts.status != StatusCode::TOO_MANY_REQUESTS;
        let answer = if !keep {
            None
        } else if secret || out.len() > MAX_KEPT {
            // Done, but not to be repeated: a retry is told so.
            let why = if secret {
                "this request was already answered; what it made (a secret shown once) is not shown again"
            } else {
                "this request was already answered; its answer was too large to keep"
            };
            let body = serde_json::to_string(&ApiError::new(StatusCode::CONFLICT, why).problem)
                .unwrap_or_default();
            Some((StatusCode::CONFLICT.as_u16(), None, body))
        } else {
            Some((
                rparts.status.as_u16(),
                location,
                String::from_utf8_lossy(&out).into_owned(),
            ))
        };
        let kept = answer
            .as_ref()
            .map(|(s, l, b)| (*s, l.as_deref(), b.as_str()));
        if let Err(e) = store.finish_idempotency_key(who, &key, kept).await {
            tracing::warn!(error = %e, "the answer to an idempotent request could not be kept");
        }
        Response::from_parts(rparts, Body::from(out))
    });
    match task.await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, "an idempotent request failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the request could not be completed",
            )
            .into_response()
        }
    }
}

fn replay(status: u16, location: Option<String>, body: String) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(REPLAYED, HeaderValue::from_static("true"));
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LOCATION, l);
    }
    res
}
