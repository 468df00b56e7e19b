//! The statistics page's figures (also `/api/v1/stats`).

use serde::{Deserialize, Serialize};

use super::{Operation, RunState, StepState, TenantState};

/// Runs that ended on one UTC day, by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayRuns {
    /// "2026-12-01".
    pub day: String,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// Runs of one operation in the window, by outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OperationRuns {
    pub operation: Operation,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// How long something took: how many, and the p50 and p95 (ms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Durations {
    /// A step's name, a template's name, or "queue".
    pub name: String,
    /// A step's kind ("wait" for every `wait-<component>`, a job's phase,
    /// else the step's own name); steps are grouped by it, then by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub count: i64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// A root cause of failed steps, with the runs it failed (newest first, at
/// most ten).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FailureCause {
    pub step: String,
    /// The error with numbers and the tenant's ID taken out, so the same
    /// cause on different tenants counts once.
    pub cause: String,
    pub count: i64,
    pub runs: Vec<RunLink>,
}

/// A run, with its tenant (to link it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunLink {
    pub id: i64,
    pub tenant_id: String,
}

/// Tenants of one tier in one state, now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierStateCount {
    pub tier: String,
    pub state: TenantState,
    pub count: i64,
}

/// Tenants created on one UTC day, by tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayTiers {
    pub day: String,
    pub tiers: Vec<(String, i64)>,
}

/// Tenants in each state (or of each tier) at the end of one UTC day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayCounts {
    pub day: String,
    pub counts: Vec<(String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatsDto {
    /// The window: the last `days` UTC days, today included.
    pub days: u32,
    pub runs_per_day: Vec<DayRuns>,
    pub by_operation: Vec<OperationRuns>,
    /// Finished runs in the window, and the share that completed (0–1).
    pub finished: i64,
    pub success_rate: Option<f64>,
    /// From the run's request (or its scheduled time) to its start.
    pub queue_wait: Durations,
    /// Completed steps, by step.
    pub steps: Vec<Durations>,
    /// Completed runs, by the tenant's template.
    pub templates: Vec<Durations>,
    pub top_failures: Vec<FailureCause>,
    pub tenants_now: Vec<TierStateCount>,
    pub tenants_created: Vec<DayTiers>,
    /// Tenants by state at the end of each day (from the kept history of
    /// states; deprovisioned ones leave the count).
    #[serde(default)]
    pub states_over_time: Vec<DayCounts>,
    /// Tenants not deprovisioned, by tier, at the end of each day (the tier
    /// they have now).
    #[serde(default)]
    pub tiers_over_time: Vec<DayCounts>,
}

/// One run, as statistics need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFact {
    pub id: i64,
    pub tenant_id: String,
    pub operation: Operation,
    pub state: RunState,
    pub template: String,
    pub created_at: i64,
    pub not_before: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// One step of a run, as statistics need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFact {
    pub run_id: i64,
    pub tenant_id: String,
    pub name: String,
    pub state: StepState,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
}

/// One tenant, as statistics need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantFact {
    pub tier: String,
    pub state: TenantState,
    pub created_at: i64,
    /// Every state it has been in, with since when (ms), oldest first.
    pub history: Vec<(i64, TenantState)>,
}
