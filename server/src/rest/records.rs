//! The audit trail and alerts.

use app::dto::*;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::console;
use super::problem::{ApiResult, Body, Caller, Path, Query};
use crate::http::state::AppState;

#[utoipa::path(operation_id = "list_audit", get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "One page of events (50), newest first", body = Page<AuditEventDto>)))]
pub async fn audit(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEventDto>>> {
    Ok(Json(console(&s).list_audit(&who, q).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// The window in days, today included (1–90, default 30).
    pub days: Option<u32>,
}

/// Runs per day by outcome and per operation, success rate, queue wait,
/// p50/p95 per step and per template, top failure causes with their runs,
/// and tenants by tier and state (the statistics page's figures).
#[utoipa::path(operation_id = "statistics", get, path = "/api/v1/stats", tag = "audit",
    params(StatsParams),
    responses((status = 200, description = "The figures", body = StatsDto)))]
pub async fn stats(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(p): Query<StatsParams>,
) -> ApiResult<Json<StatsDto>> {
    Ok(Json(
        console(&s).statistics(&who, p.days.unwrap_or(30)).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// csv (default) or json.
    pub format: Option<ExportKind>,
}

#[derive(Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    Csv,
    Json,
}

/// Every event the filters select, newest first, streamed as CSV (cells
/// that a spreadsheet would run as formulas are prefixed with `'`) or as a
/// JSON array. The export is itself an audit event.
#[utoipa::path(operation_id = "export_audit", get, path = "/api/v1/audit/export", tag = "audit",
    params(AuditQuery, ExportParams),
    responses((status = 200, description = "The events, streamed",
        content((String = "text/csv"), (Vec<AuditEventDto> = "application/json")))))]
pub async fn export(
    State(s): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<AuditQuery>,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    use crate::console::ExportFormat;
    let (format, mime, ext) = match p.format.unwrap_or(ExportKind::Csv) {
        ExportKind::Csv => (ExportFormat::Csv, "text/csv", "csv"),
        ExportKind::Json => (ExportFormat::Json, "application/json", "json"),
    };
    let chunks = s.console.export_audit(&who, q, format).await?;
    let stream = futures::stream::unfold(chunks, |mut rx| async move {
        rx.recv().await.map(|c| {
            (
                Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(c)),
                rx,
            )
        })
    });
    let disposition = format!(
        "attachment; filename=\"tenantry-audit-{}.{ext}\"",
        crate::store::format_ms(crate::store::now_ms()).replace([' ', ':'], "-")
    );
    let mut res = Response::new(axum::body::Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
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
