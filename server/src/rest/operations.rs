//! Operations on tenants: each starts a run and answers 202 with it (and
//! `Location` pointing at the run, to follow it or its live stream topic
//! `run:<id>`).

use app::dto::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::problem::{ApiResult, Body, Caller, Path};
use super::{console, Idempotency};
use crate::http::state::AppState;

/// 202 Accepted with the run, `Location: /api/v1/runs/<id>`.
pub fn accepted(run: RunDto) -> Response {
    let location = format!("/api/v1/runs/{}", run.id);
    super::preconditions::located((StatusCode::ACCEPTED, Json(run)).into_response(), &location)
}

async fn start(s: &AppState, who: &CurrentStaff, id: String, op: Operation) -> ApiResult<Response> {
    Ok(accepted(console(s).start_operation(who, id, op).await?))
}

macro_rules! simple_operation {
    ($name:ident, $id:literal, $op:expr, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(operation_id = $id, post, path = $path, tag = "operations",
                    params(("id" = String, Path, description = "Tenant ID"), Idempotency),
                    responses((status = 202, description = "The run, started", body = RunDto,
                        headers(("Location" = String, description = "The run")))))]
        pub async fn $name(
            State(s): State<AppState>,
            Caller(who): Caller,
            Path(id): Path<String>,
        ) -> ApiResult<Response> {
            start(&s, &who, id, $op).await
        }
    };
}

simple_operation!(
    provision,
    "provision_tenant",
    Operation::Provision,
    "/api/v1/tenants/{id}/provision",
    "Creates everything the tenant's template describes."
);
simple_operation!(
    suspend,
    "suspend_tenant",
    Operation::Suspend,
    "/api/v1/tenants/{id}/suspend",
    "Scales the tenant's workloads to zero; data stays."
);
simple_operation!(
    resume,
    "resume_tenant",
    Operation::Resume,
    "/api/v1/tenants/{id}/resume",
    "Scales a suspended tenant back up."
);
simple_operation!(
    cleanup,
    "cleanup_tenant",
    Operation::Cleanup,
    "/api/v1/tenants/{id}/cleanup",
    "Removes what a failed provisioning left behind."
);

simple_operation!(
    backup,
    "backup_tenant",
    Operation::Backup,
    "/api/v1/tenants/{id}/backup",
    "Dumps the tenant's database to the object store now (back up now); the run records the dump in the catalogue."
);

/// The tenant's backup catalogue, newest first (pruned ones included,
/// marked with `pruned_at`).
#[utoipa::path(operation_id = "tenant_backups", get, path = "/api/v1/tenants/{id}/backups", tag = "operations",
    params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "The catalogue", body = Vec<BackupDto>)))]
pub async fn backups(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<BackupDto>>> {
    Ok(Json(console(&s).tenant_backups(&who, id).await?))
}

/// Puts one of the tenant's catalogued backups back (admins): the run stops
/// the application, restores the dump (its SHA-256 checked first), runs the
/// migrations and starts the application again. `confirm` must repeat the
/// tenant ID.
#[utoipa::path(operation_id = "restore_tenant", post, path = "/api/v1/tenants/{id}/restore", tag = "operations",
    request_body = RestoreForm,
    params(("id" = String, Path, description = "Tenant ID"), Idempotency),
    responses((status = 202, description = "The run, started", body = RunDto,
        headers(("Location" = String, description = "The run")))))]
pub async fn restore(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(form): Body<RestoreForm>,
) -> ApiResult<Response> {
    Ok(accepted(console(&s).restore_tenant(&who, id, form).await?))
}

/// Makes the named generated Secrets anew (operators): the release's own
/// or `tenant-admin`, never the database's. The run rolls the tenant's
/// pods onto them and runs again the jobs that read them; the new values
/// are then shown once (`reveal_credentials` on the tenant page).
#[utoipa::path(operation_id = "rotate_secrets", post, path = "/api/v1/tenants/{id}/secret-rotation", tag = "operations",
    request_body = RotateSecretsForm,
    params(("id" = String, Path, description = "Tenant ID"), Idempotency),
    responses((status = 202, description = "The run, started", body = RunDto,
        headers(("Location" = String, description = "The run")))))]
pub async fn rotate_secrets(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(form): Body<RotateSecretsForm>,
) -> ApiResult<Response> {
    Ok(accepted(console(&s).rotate_secrets(&who, id, form).await?))
}

/// What a tier or replica change would change, object by object; nothing
/// is applied.
#[utoipa::path(operation_id = "preview_tenant_change", post, path = "/api/v1/tenants/{id}/change/preview", tag = "operations",
    request_body = ChangeForm, params(("id" = String, Path, description = "Tenant ID")),
    responses((status = 200, description = "The difference", body = ChangePreview)))]
pub async fn preview_change(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(form): Body<ChangeForm>,
) -> ApiResult<Json<ChangePreview>> {
    Ok(Json(
        console(&s).preview_tenant_change(&who, id, form).await?,
    ))
}

/// A new tenant checked and rendered without storing anything: field
/// errors and warnings as separate lists, and the objects provisioning
/// would create when there is no error.
#[utoipa::path(operation_id = "dry_run_tenant", post, path = "/api/v1/tenant-dry-runs", tag = "tenants",
    request_body = NewTenantForm,
    responses((status = 200, description = "What is wrong, what is warned of, and what would be made", body = TenantDryRun)))]
pub async fn dry_run(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<NewTenantForm>,
) -> ApiResult<Json<TenantDryRun>> {
    Ok(Json(
        match console(&s).preview_new_tenant(&who, form).await {
            Ok(p) => TenantDryRun {
                valid: true,
                errors: vec![],
                warnings: p.warnings.clone(),
                preview: Some(p),
            },
            Err(app::error::AppError::Invalid(errors)) => TenantDryRun {
                valid: false,
                errors,
                warnings: vec![],
                preview: None,
            },
            Err(e) => return Err(e.into()),
        },
    ))
}

/// Applies a tier or replica change (preview it first).
#[utoipa::path(operation_id = "change_tenant", post, path = "/api/v1/tenants/{id}/change", tag = "operations",
    request_body = ChangeForm,
    params(("id" = String, Path, description = "Tenant ID"), Idempotency),
    responses((status = 202, description = "The run, started", body = RunDto,
        headers(("Location" = String, description = "The run")))))]
pub async fn change(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(form): Body<ChangeForm>,
) -> ApiResult<Response> {
    Ok(accepted(console(&s).change_tenant(&who, id, form).await?))
}

/// Deletes the tenant's namespace and everything in it, after an optional
/// backup, grace period or schedule; `confirm` must repeat the tenant ID.
/// `force` (admins) strips Tenantry's finalizers from what blocks.
#[utoipa::path(operation_id = "deprovision_tenant", post, path = "/api/v1/tenants/{id}/deprovision", tag = "operations",
    request_body = DeprovisionForm,
    params(("id" = String, Path, description = "Tenant ID"), Idempotency),
    responses((status = 202, description = "The run, started or scheduled", body = RunDto,
        headers(("Location" = String, description = "The run")))))]
pub async fn deprovision(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    Body(form): Body<DeprovisionForm>,
) -> ApiResult<Response> {
    Ok(accepted(
        console(&s).deprovision_tenant(&who, id, form).await?,
    ))
}

/// One action on up to 100 tenants; one result per tenant.
#[utoipa::path(operation_id = "bulk_action", post, path = "/api/v1/tenants/bulk", tag = "operations",
    request_body = BulkForm, params(Idempotency),
    responses((status = 200, description = "One result per tenant", body = Vec<BulkResult>)))]
pub async fn bulk(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<BulkForm>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    Ok(Json(console(&s).bulk_action(&who, form).await?))
}
