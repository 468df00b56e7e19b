//! `/api/v1/tenants`: the records, their live state, and the operations on
//! them. Every call goes through the same [`Console`] as the pages.

use app::dto::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;

use super::preconditions::{self, if_match, located};
use super::problem::{ApiResult, Body, Caller, Path, Query};
use super::{console, Idempotency};
use crate::http::state::AppState;

/// Tenant tags are `"u<updated_at>"`.
const TAG: char = 'u';

fn tagged(t: TenantDto, status: StatusCode) -> Response {
    let n = t.updated_at;
    preconditions::tagged(status, t, TAG, n)
}

/// A page of tenants, with live health; filters and sort as query
/// parameters.
#[utoipa::path(operation_id = "list_tenants", get, path = "/api/v1/tenants", tag = "tenants", params(TenantQuery),
    responses((status = 200, description = "One page of tenants", body = Page<TenantDto>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<TenantQuery>,
) -> ApiResult<Json<Page<TenantDto>>> {
    Ok(Json(console(&s).list_tenants(&who, q).await?))
}

/// Creates a tenant record (and starts provisioning it when `provision`
/// is true). The ID is generated from the company name when empty.
#[utoipa::path(operation_id = "create_tenant", post, path = "/api/v1/tenants", tag = "tenants", request_body = NewTenantForm,
    params(Idempotency),
    responses((status = 201, description = "Created", body = TenantDto,
        headers(("Location" = String, description = "The new tenant"), ("ETag" = String)))))]
pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<NewTenantForm>,
) -> ApiResult<Response> {
    let t = console(&s).create_tenant(&who, form).await?;
    let location = format!("/api/v1/tenants/{}", t.id);
    Ok(located(tagged(t, StatusCode::CREATED), &location))
}

#[utoipa::path(operation_id = "get_tenant", get, path = "/api/v1/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "The tenant", body = TenantDto,
        headers(("ETag" = String, description = "Send as If-Match to update")))))]
pub async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = console(&s).get_tenant(&who, id).await?;
    Ok(tagged(t, StatusCode::OK))
}

/// Edits the record's contact fields and custom domain. Needs `If-Match`
/// with the tenant's `ETag`: 412 when someone changed it since.
#[utoipa::path(operation_id = "update_tenant", patch, path = "/api/v1/tenants/{id}", tag = "tenants", request_body = TenantForm,
    params(("id" = String, Path, description = "Tenant ID"),
        ("If-Match" = String, Header, description = "The ETag this edit is based on")),
    responses((status = 200, description = "Saved", body = TenantDto, headers(("ETag" = String)))))]
pub async fn update(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(mut form): Body<TenantForm>,
) -> ApiResult<Response> {
    form.based_on_updated_at = if_match(&headers, TAG)?;
    let t = console(&s).update_tenant(&who, id, form).await?;
    Ok(tagged(t, StatusCode::OK))
}

/// Deletes a record that has nothing in the cluster (never provisioned,
/// or deprovisioned).
#[utoipa::path(operation_id = "delete_tenant", delete, path = "/api/v1/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    console(&s).delete_tenant(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Serves the tenant's custom domain, which DNS holds back, without its
/// check (admins; audited with what the last check found). Served from
/// the tenant's next run.
#[utoipa::path(operation_id = "override_domain_check", post, path = "/api/v1/tenants/{id}/domain-override", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "The tenant", body = TenantDto,
        headers(("ETag" = String)))))]
pub async fn override_domain(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = console(&s).override_domain_check(&who, id).await?;
    Ok(tagged(t, StatusCode::OK))
}

/// What Tenantry writes to the tenant's owner (each message as it reads
/// now, its one-time link a placeholder) and what went out.
#[utoipa::path(operation_id = "owner_messages", get, path = "/api/v1/tenants/{id}/owner-messages", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "The messages and the channel that sends them", body = OwnerMessagesDto)))]
pub async fn owner_messages(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OwnerMessagesDto>> {
    Ok(Json(console(&s).owner_messages(&who, id).await?))
}

/// Health, pods, workloads, quotas and recent Kubernetes events.
#[utoipa::path(operation_id = "tenant_live", get, path = "/api/v1/tenants/{id}/live", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "What the cluster shows", body = TenantLiveDto)))]
pub async fn live(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TenantLiveDto>> {
    Ok(Json(console(&s).tenant_live(&who, id).await?))
}

/// Whether an ID is free, and why not.
#[utoipa::path(operation_id = "check_tenant_id", get, path = "/api/v1/tenant-ids/{id}", tag = "tenants",
    params(("id" = String, Path, description = "A proposed tenant ID")),
    responses((status = 200, description = "The answer", body = IdCheck)))]
pub async fn check_id(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IdCheck>> {
    Ok(Json(console(&s).check_tenant_id(&who, id).await?))
}
