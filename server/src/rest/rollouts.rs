//! `/api/v1/rollouts`: tenants of an application moved to a release or a
//! plan in waves — planned (nothing stored), started, followed, and
//! steered (pause, resume, abort, skip a tenant).

use app::dto::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::problem::{ApiResult, Body, BodyOrDefault, Caller, Path};
use super::{console, Idempotency};
use crate::http::state::AppState;

/// The rollout's answer, with where to follow it.
fn located(status: StatusCode, r: RolloutDto) -> Response {
    let location = format!("/api/v1/rollouts/{}", r.id);
    super::preconditions::located((status, Json(r)).into_response(), &location)
}

/// The rollout a form asks for: its tenants wave by wave, each with what
/// would change, and the tenants left out with why. Nothing is stored.
#[utoipa::path(operation_id = "plan_rollout", post, path = "/api/v1/rollouts/plan", tag = "rollouts",
    request_body = RolloutForm,
    responses((status = 200, description = "The plan", body = RolloutPlan)))]
pub async fn plan(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<RolloutForm>,
) -> ApiResult<Json<RolloutPlan>> {
    Ok(Json(console(&s).plan_rollout(&who, form).await?))
}

/// Plans and starts a rollout (operators); the leader drives it.
#[utoipa::path(operation_id = "start_rollout", post, path = "/api/v1/rollouts", tag = "rollouts",
    request_body = RolloutForm, params(Idempotency),
    responses((status = 201, description = "The rollout, started", body = RolloutDto,
        headers(("Location" = String, description = "The rollout")))))]
pub async fn start(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<RolloutForm>,
) -> ApiResult<Response> {
    let r = console(&s).start_rollout(&who, form).await?;
    Ok(located(StatusCode::CREATED, r))
}

/// The newest rollouts, without their tenants.
#[utoipa::path(operation_id = "list_rollouts", get, path = "/api/v1/rollouts", tag = "rollouts",
    responses((status = 200, description = "Rollouts, newest first", body = Vec<RolloutDto>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<RolloutDto>>> {
    Ok(Json(console(&s).list_rollouts(&who).await?))
}

#[utoipa::path(operation_id = "get_rollout", get, path = "/api/v1/rollouts/{id}", tag = "rollouts",
    params(("id" = i64, Path, description = "Rollout id")),
    responses((status = 200, description = "The rollout with its tenants", body = RolloutDto)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RolloutDto>> {
    Ok(Json(console(&s).get_rollout(&who, id).await?))
}

macro_rules! steer {
    ($name:ident, $method:ident, $id:literal, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(operation_id = $id, post, path = $path, tag = "rollouts",
                    params(("id" = i64, Path, description = "Rollout id"), Idempotency),
                    responses((status = 200, description = "The rollout", body = RolloutDto)))]
        pub async fn $name(
            State(s): State<AppState>,
            Caller(who): Caller,
            Path(id): Path<i64>,
        ) -> ApiResult<Json<RolloutDto>> {
            Ok(Json(console(&s).$method(&who, id).await?))
        }
    };
}

steer!(
    pause,
    pause_rollout,
    "pause_rollout",
    "/api/v1/rollouts/{id}/pause",
    "Stops starting runs; those under way finish."
);
steer!(
    resume,
    resume_rollout,
    "resume_rollout",
    "/api/v1/rollouts/{id}/resume",
    "Goes on; a failed tenant of the wave under way is tried again."
);
steer!(
    abort,
    abort_rollout,
    "abort_rollout",
    "/api/v1/rollouts/{id}/abort",
    "Stops for good; the tenants moved already stay, and the reason lists them."
);

/// Leaves a waiting or failed tenant as it is; the wave goes on without it.
#[utoipa::path(operation_id = "skip_rollout_tenant", post, path = "/api/v1/rollouts/{id}/tenants/{tenant}/skip", tag = "rollouts",
    params(("id" = i64, Path, description = "Rollout id"), ("tenant" = String, Path, description = "Tenant ID"), Idempotency),
    responses((status = 200, description = "The rollout", body = RolloutDto)))]
pub async fn skip(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, tenant)): Path<(i64, String)>,
) -> ApiResult<Json<RolloutDto>> {
    Ok(Json(
        console(&s).skip_rollout_tenant(&who, id, tenant).await?,
    ))
}

/// Moves a tenant the rollout moved (or failed to) back to the release and
/// plan it ran before, by an update run; its database's schema stays,
/// unless the body's `restore` (admins) puts back the dump its move took
/// before the new release's migrations (`backup_before_migration`). The
/// body may be left out.
#[utoipa::path(operation_id = "rollback_rollout_tenant", post, path = "/api/v1/rollouts/{id}/tenants/{tenant}/rollback", tag = "rollouts",
    params(("id" = i64, Path, description = "Rollout id"), ("tenant" = String, Path, description = "Tenant ID"), Idempotency),
    request_body(content = Option<RollbackForm>, content_type = "application/json"),
    responses((status = 200, description = "The rollout", body = RolloutDto)))]
pub async fn rollback(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, tenant)): Path<(i64, String)>,
    BodyOrDefault(form): BodyOrDefault<RollbackForm>,
) -> ApiResult<Json<RolloutDto>> {
    Ok(Json(
        console(&s)
            .rollback_rollout_tenant(&who, id, tenant, form)
            .await?,
    ))
}
