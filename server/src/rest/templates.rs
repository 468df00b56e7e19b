//! `/api/v1/templates`: tiers with their versions. An edit saves a new
//! version and needs `If-Match` with the current one's `ETag` (`"v<n>"`).

use app::dto::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;

use super::preconditions::{self, if_match, located};
use super::problem::{ApiResult, Body, Caller, Path};
use super::{console, Idempotency};
use crate::http::state::AppState;

const TAG: char = 'v';

fn tagged<T: serde::Serialize>(body: T, version: i64, status: StatusCode) -> Response {
    preconditions::tagged(status, body, TAG, version)
}

#[utoipa::path(operation_id = "list_templates", get, path = "/api/v1/templates", tag = "templates",
    responses((status = 200, description = "Every template", body = Vec<TemplateDto>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<TemplateDto>>> {
    Ok(Json(console(&s).list_templates(&who).await?))
}

/// Numbers may be sent as JSON numbers or as text.
#[utoipa::path(operation_id = "create_template", post, path = "/api/v1/templates", tag = "templates", request_body = TemplateForm,
    params(Idempotency),
    responses((status = 201, description = "Created (version 1)", body = TemplateDto,
        headers(("Location" = String), ("ETag" = String)))))]
pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<TemplateForm>,
) -> ApiResult<Response> {
    let t = console(&s).create_template(&who, form).await?;
    let location = format!("/api/v1/templates/{}", t.id);
    let version = t.version;
    Ok(located(tagged(t, version, StatusCode::CREATED), &location))
}

/// The template with every version.
#[utoipa::path(operation_id = "get_template", get, path = "/api/v1/templates/{id}", tag = "templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = TemplateDetail,
        headers(("ETag" = String, description = "Send as If-Match to edit")))))]
pub async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let d = console(&s).get_template(&who, id).await?;
    let version = d.template.version;
    Ok(tagged(d, version, StatusCode::OK))
}

/// Saves the whole template as a new version (the key cannot change).
#[utoipa::path(operation_id = "update_template", put, path = "/api/v1/templates/{id}", tag = "templates", request_body = TemplateForm,
    params(("id" = i64, Path, description = "Template id"),
        ("If-Match" = String, Header, description = "The ETag of the version this edit is based on")),
    responses((status = 200, description = "Saved as the next version", body = TemplateDto,
        headers(("ETag" = String)))))]
pub async fn update(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Body(mut form): Body<TemplateForm>,
) -> ApiResult<Response> {
    form.based_on_version = if_match(&headers, TAG)?;
    let t = console(&s).update_template(&who, id, form).await?;
    let version = t.version;
    Ok(tagged(t, version, StatusCode::OK))
}

/// Refused while any tenant uses the template.
#[utoipa::path(operation_id = "delete_template", delete, path = "/api/v1/templates/{id}", tag = "templates",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    console(&s).delete_template(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
