//! The audit trail and alerts.

use app::dto::*;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::console;
use super::problem::{ApiResult, Body, Caller, Path, Query};
use crate::http::AppState;

#[derive(Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditQuery {
    /// Words found in the actor, action, target or detail.
    pub q: String,
    /// From 1; 50 events per page.
    pub page: u32,
}

#[utoipa::path(operation_id = "list_audit", get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "One page of events, newest first", body = Page<AuditEventDto>)))]
pub async fn audit(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEventDto>>> {
    Ok(Json(console(&s).list_audit(&who, q.q, q.page).await?))
}

#[utoipa::path(operation_id = "list_alerts", get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, description = "One page of alerts", body = Page<AlertDto>)))]
pub async fn alerts(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Page<AlertDto>>> {
    Ok(Json(console(&s).list_alerts(&who, q).await?))
}

#[utoipa::path(operation_id = "get_alert", get, path = "/api/v1/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "The alert with its history", body = AlertDto)))]
pub async fn alert(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AlertDto>> {
    Ok(Json(console(&s).get_alert(&who, id).await?))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AlertNote {
    /// Why, for the alert's history.
    pub note: String,
}

/// Acknowledges a firing alert: repeats stop until it resolves.
#[utoipa::path(operation_id = "ack_alert", post, path = "/api/v1/alerts/{id}/ack", tag = "alerts", request_body = AlertNote,
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "Acknowledged", body = AlertDto)))]
pub async fn ack(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Body(n): Body<AlertNote>,
) -> ApiResult<Json<AlertDto>> {
    Ok(Json(console(&s).ack_alert(&who, id, n.note).await?))
}

/// Resolves an alert by hand.
#[utoipa::path(operation_id = "resolve_alert", post, path = "/api/v1/alerts/{id}/resolve", tag = "alerts", request_body = AlertNote,
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "Resolved", body = AlertDto)))]
pub async fn resolve(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Body(n): Body<AlertNote>,
) -> ApiResult<Json<AlertDto>> {
    Ok(Json(console(&s).resolve_alert(&who, id, n.note).await?))
}
