use serde::{Deserialize, Serialize};

use super::{Health, HealthDto, RunDto, TenantState};

/// Who did what to which object, and when (unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEventDto {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub detail: String,
}

/// Search and filters of the audit trail (all optional; they combine).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(default)]
pub struct AuditQuery {
    /// Words found in any field.
    pub q: String,
    /// Exactly this actor (a user name, "system", "cli").
    pub actor: String,
    /// Exactly this action, or a family ending in a dot ("tenant.").
    pub action: String,
    /// Events about this tenant.
    pub tenant: String,
    /// From this UTC day (YYYY-MM-DD), inclusive.
    pub from: String,
    /// Up to this UTC day (YYYY-MM-DD), inclusive.
    pub to: String,
    /// From 1; 50 events per page.
    pub page: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DashboardDto {
    pub tenants_by_state: Vec<(TenantState, i64)>,
    pub tenant_total: i64,
    pub template_count: i64,
    pub recent_audit: Vec<AuditEventDto>,
    /// Tenants per health (live).
    pub tenants_by_health: Vec<(Health, i64)>,
    /// Pending and running runs, with their current step.
    pub runs_in_progress: Vec<RunDto>,
    /// The latest failed runs, with their root cause.
    pub recent_failures: Vec<RunDto>,
    /// Tenants that need attention now: degraded, critical or down.
    pub alerts: Vec<(String, HealthDto)>,
    /// Firing (and acknowledged) alerts per severity, worst first.
    #[serde(default)]
    pub firing_alerts: Vec<(super::Severity, i64)>,
}
