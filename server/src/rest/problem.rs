//! Extractors of `/api/v1` whose refusals are its one error shape (a
//! malformed body, query or path is a 400 or 422 naming the field, never
//! axum's plain-text rejection).

use app::dto::{CurrentStaff, Principal};
use app::error::AppError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

pub use crate::answer::{ApiError, ApiResult};

/// The staff member a request acts for (from its bearer token, or from its
/// session when the console's own pages call): 401 without one.
pub struct Caller(pub CurrentStaff);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Principal>() {
            Some(Principal(Some(who))) if who.must_change_password => {
                Err(AppError::PasswordChangeRequired.into())
            }
            Some(Principal(Some(who))) => Ok(Caller(who.clone())),
            _ => Err(AppError::Unauthorized.into()),
        }
    }
}

/// A JSON body; a body that does not decode is a 422 naming the field
/// (400 when it is not JSON at all).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (json, bytes) = read(req, state).await?;
        decode(json, &bytes).map(Body)
    }
}

/// A JSON body as `Body` reads it, or nothing at all: the form's defaults.
pub struct BodyOrDefault<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for BodyOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (json, bytes) = read(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(BodyOrDefault(T::default()));
        }
        decode(json, &bytes).map(BodyOrDefault)
    }
}

/// Whether the body is sent as JSON, and its bytes.
async fn read<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<(bool, axum::body::Bytes), ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bytes = axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    Ok((json, bytes))
}

/// A body's JSON as `T`: 415 when it is not sent as JSON, 400 when it is
/// not JSON at all, 422 naming the field that does not decode.
fn decode<T: DeserializeOwned>(json: bool, bytes: &[u8]) -> Result<T, ApiError> {
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => Ok(v),
        Err(e) if e.inner().is_syntax() || e.inner().is_eof() => Err(ApiError::bad_request(
            format!("the body is not JSON: {}", e.inner()),
        )),
        Err(e) => {
            let path = e.path().to_string();
            let field = if path == "." { "body".into() } else { path };
            Err(AppError::invalid(&field, e.inner().to_string()).into())
        }
    }
}

/// Query parameters; a wrong one is a 422 naming it.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(Query)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "query".into() } else { path };
                AppError::invalid(&field, e.inner().to_string()).into()
            })
    }
}

/// Path segments; a wrong one is a 404 (no such resource can exist).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.body_text()))
    }
}
