//! What the records say: the dashboard's summary, the audit trail and the
//! statistics.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{AuditEventDto, AuditQuery, DashboardDto, Page, StatsDto};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// The dashboard, the audit trail and the statistics.
    pub trait Records {
        [Page]
        async fn dashboard(&self, who: &CurrentStaff) -> R<DashboardDto>;
        [Page, Api]
        async fn list_audit(&self, who: &CurrentStaff, q: AuditQuery) -> R<Page<AuditEventDto>>;
        /// Runs, durations, failures and tenants of the last `days` days
        /// (1–90; 30 when 0).
        [Page, Api]
        async fn statistics(&self, who: &CurrentStaff, days: u32) -> R<StatsDto>;
    }
}

checked!(Dashboard, ListAudit, Statistics);

#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardDto, AppError> {
    serve!(dashboard())
}

#[server(prefix = "/api", endpoint = "list_audit")]
pub async fn list_audit(
    #[server(default)] query: AuditQuery,
) -> Result<Page<AuditEventDto>, AppError> {
    serve!(list_audit(query))
}

/// Figures of the last `days` days (1–90; 30 when 0).
#[server(prefix = "/api", endpoint = "statistics")]
pub async fn statistics(#[server(default)] days: u32) -> Result<StatsDto, AppError> {
    serve!(statistics(if days == 0 { 30 } else { days }))
}
