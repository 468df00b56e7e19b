//! `/api/v1/applications`: applications and their numbered releases. A
//! release is posted as its text (YAML or JSON, the release schema) and
//! checked before it is stored; `…/releases/check` checks one without
//! storing it. A release's `ETag` is `"r<n>"`; `If-Match` with the newest
//! one's (optional) refuses the save when another was stored since.

use app::dto::*;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;

use super::preconditions::{self, if_match, located};
use super::problem::{ApiResult, Body, Caller, Path};
use super::{console, Idempotency};
use crate::http::state::AppState;

const TAG: char = 'r';

#[utoipa::path(operation_id = "list_applications", get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, description = "Every application", body = Vec<ApplicationDto>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<ApplicationDto>>> {
    Ok(Json(console(&s).list_applications(&who).await?))
}

#[utoipa::path(operation_id = "create_application", post, path = "/api/v1/applications", tag = "applications",
    request_body = ApplicationForm, params(Idempotency),
    responses((status = 201, description = "Created, without releases", body = ApplicationDto,
        headers(("Location" = String)))))]
pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<ApplicationForm>,
) -> ApiResult<Response> {
    let a = console(&s).create_application(&who, form).await?;
    let location = format!("/api/v1/applications/{}", a.key);
    Ok(located(
        axum::response::IntoResponse::into_response((StatusCode::CREATED, Json(a))),
        &location,
    ))
}

#[utoipa::path(operation_id = "get_application", get, path = "/api/v1/applications/{application}", tag = "applications",
    params(("application" = String, Path, description = "Application id or key")),
    responses((status = 200, description = "The application", body = ApplicationDto)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(application): Path<String>,
) -> ApiResult<Json<ApplicationDto>> {
    Ok(Json(console(&s).get_application(&who, application).await?))
}

#[utoipa::path(operation_id = "list_releases", get, path = "/api/v1/applications/{application}/releases", tag = "applications",
    params(("application" = String, Path, description = "Application id or key")),
    responses((status = 200, description = "Its releases, newest first", body = Vec<ReleaseDto>,
        headers(("ETag" = String, description = "The newest release's; send as If-Match to release the next")))))]
pub async fn releases(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(application): Path<String>,
) -> ApiResult<Response> {
    let list = console(&s).list_releases(&who, application).await?;
    let newest = list.first().map_or(0, |r| r.number);
    Ok(preconditions::tagged(StatusCode::OK, list, TAG, newest))
}

/// The release's text is checked (every rule a cluster would refuse, every
/// value reference) before anything is stored.
#[utoipa::path(operation_id = "create_release", post, path = "/api/v1/applications/{application}/releases", tag = "applications",
    request_body = ReleaseForm,
    params(("application" = String, Path, description = "Application id or key"),
        ("If-Match" = Option<String>, Header, description = "The newest release's ETag: refused if another was stored since"),
        Idempotency),
    responses((status = 201, description = "Stored as the next number", body = ReleaseDto,
        headers(("Location" = String), ("ETag" = String))),
        (status = 412, description = "Another release was stored since the one If-Match names, or If-Match names no release",
            body = crate::answer::Problem)))]
pub async fn create_release(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(application): Path<String>,
    headers: HeaderMap,
    Body(mut form): Body<ReleaseForm>,
) -> ApiResult<Response> {
    if headers.contains_key(header::IF_MATCH) {
        form.based_on = if_match(&headers, TAG)?;
    }
    let r = console(&s).create_release(&who, application, form).await?;
    let location = format!(
        "/api/v1/applications/{}/releases/{}",
        r.application_id, r.number
    );
    let number = r.number;
    Ok(located(
        preconditions::tagged(StatusCode::CREATED, r, TAG, number),
        &location,
    ))
}

/// Reads and checks a release's text without storing it: the release as
/// it would be stored, or every field error at once.
#[utoipa::path(operation_id = "check_release", post, path = "/api/v1/applications/{application}/releases/check", tag = "applications",
    request_body = ReleaseForm,
    params(("application" = String, Path, description = "Application id or key")),
    responses((status = 200, description = "Valid: the release as it would be stored", body = ReleaseSpec)))]
pub async fn check_release(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(application): Path<String>,
    Body(form): Body<ReleaseForm>,
) -> ApiResult<Json<ReleaseSpec>> {
    Ok(Json(
        console(&s).check_release(&who, application, form).await?,
    ))
}

#[utoipa::path(operation_id = "get_release", get, path = "/api/v1/applications/{application}/releases/{number}", tag = "applications",
    params(("application" = String, Path, description = "Application id or key"),
        ("number" = i64, Path, description = "Release number")),
    responses((status = 200, description = "The release", body = ReleaseDto)))]
pub async fn get_release(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((application, number)): Path<(String, i64)>,
) -> ApiResult<Response> {
    let r = console(&s).get_release(&who, application, number).await?;
    Ok(preconditions::tagged(StatusCode::OK, r, TAG, number))
}

/// The release the tenant runs (its plan's application).
#[utoipa::path(operation_id = "tenant_release", get, path = "/api/v1/tenants/{id}/release", tag = "applications",
    params(("id" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "The release", body = ReleaseDto)))]
pub async fn tenant_release(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ReleaseDto>> {
    Ok(Json(console(&s).release_of_tenant(&who, id).await?))
}
