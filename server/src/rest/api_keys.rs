//! `/api/v1/tenants/{id}/api-keys`: the tenant's API keys (never a key or
//! its hash) and their rotation, whose answer carries the new key once.

use app::dto::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

use super::console;
use super::preconditions::secret_answer;
use super::problem::{ApiResult, Body, Caller, Path};
use crate::http::state::AppState;

/// The keys the tenant's release declares: when each was issued, and
/// until when a replaced one is still accepted.
#[utoipa::path(operation_id = "tenant_api_keys", get, path = "/api/v1/tenants/{id}/api-keys", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "The keys, without secrets", body = Vec<ApiKeyDto>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ApiKeyDto>>> {
    Ok(Json(console(&s).tenant_api_keys(&who, id).await?))
}

/// Issues a new key `name` (operators): the answer carries it this once
/// (never kept, so an `Idempotency-Key` retry is told it was answered);
/// Tenantry keeps only its SHA-256. The key it replaces is accepted for
/// `overlap_hours` (24 unless given; 0 stops it at once).
#[utoipa::path(operation_id = "rotate_api_key", post, path = "/api/v1/tenants/{id}/api-keys/{name}/rotation", tag = "tenants",
    request_body = RotateKeyForm,
    params(("id" = String, Path, description = "Tenant ID"), ("name" = String, Path, description = "The key's name, as the release declares it")),
    responses((status = 201, description = "The new key, shown once", body = IssuedApiKey)))]
pub async fn rotate(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, name)): Path<(String, String)>,
    Body(form): Body<RotateKeyForm>,
) -> ApiResult<Response> {
    let made = console(&s).rotate_api_key(&who, id, name, form).await?;
    Ok(secret_answer(StatusCode::CREATED, made))
}
