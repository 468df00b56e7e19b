//! `/api/v1/runs`: provisioning runs with their steps and attempts, and the
//! repairs (retry a step, recover, cancel).

use app::dto::*;
use axum::extract::State;
use axum::response::Response;
use axum::Json;

use super::operations::accepted;
use super::problem::{ApiResult, Caller, Path, Query};
use super::{console, Idempotency};
use crate::http::state::AppState;

#[utoipa::path(operation_id = "list_runs", get, path = "/api/v1/runs", tag = "runs", params(RunQuery),
    responses((status = 200, description = "One page of runs, newest first", body = Page<RunDto>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<RunQuery>,
) -> ApiResult<Json<Page<RunDto>>> {
    Ok(Json(console(&s).list_runs(&who, q).await?))
}

#[utoipa::path(operation_id = "get_run", get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = i64, Path, description = "Run id")),
    responses((status = 200, description = "The run with its steps", body = RunDto)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RunDto>> {
    Ok(Json(console(&s).get_run(&who, id).await?))
}

/// Retries a failed step of a failed run; the run goes on from there.
#[utoipa::path(operation_id = "retry_step", post, path = "/api/v1/runs/{id}/steps/{position}/retry", tag = "runs",
    params(("id" = i64, Path, description = "Run id"),
        ("position" = i64, Path, description = "The step's position, as in the run's steps"), Idempotency),
    responses((status = 202, description = "The run, going on", body = RunDto)))]
pub async fn retry(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, position)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    Ok(accepted(console(&s).retry_step(&who, id, position).await?))
}

/// Undoes what a failed run made and marks the tenant for a new attempt.
#[utoipa::path(operation_id = "recover_run", post, path = "/api/v1/runs/{id}/recover", tag = "runs",
    params(("id" = i64, Path, description = "Run id"), Idempotency),
    responses((status = 202, description = "The recovery run", body = RunDto)))]
pub async fn recover(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(accepted(console(&s).recover_run(&who, id).await?))
}

/// Stops a pending or running run after its current step.
#[utoipa::path(operation_id = "cancel_run", post, path = "/api/v1/runs/{id}/cancel", tag = "runs",
    params(("id" = i64, Path, description = "Run id"), Idempotency),
    responses((status = 202, description = "The run, cancelled", body = RunDto)))]
pub async fn cancel(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(accepted(console(&s).cancel_run(&who, id).await?))
}
