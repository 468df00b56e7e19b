//! Rollouts: tenants moved to a release or a plan in waves (see
//! `domain::rollout`), what staff send to plan and start one, and what
//! the console shows of it.

use serde::{Deserialize, Serialize};

string_enum!(
    /// Where a rollout stands. `Paused`: by staff, or by itself on a
    /// failed run or a health regression (its reason says which).
    RolloutState {
        Running => "running",
        Paused => "paused",
        Completed => "completed",
        Aborted => "aborted",
    }
);

string_enum!(
    /// Where one tenant of a rollout stands.
    RolloutTenantState {
        /// Its wave has not reached it yet.
        Pending => "pending",
        /// Its update run is under way.
        Running => "running",
        /// Moved: its run completed.
        Done => "done",
        /// Its run failed, or its health regressed during the soak.
        Failed => "failed",
        /// Left as it was, by staff.
        Skipped => "skipped",
        /// Moved back to what it ran before, by staff.
        RolledBack => "rolled_back",
    }
);

/// A rollout as staff ask for it. Empty fields: see each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RolloutForm {
    /// The application (its key) whose tenants move.
    #[serde(deserialize_with = "super::lenient::text")]
    pub application: String,
    /// The release they move to; empty: each keeps its release (a plan
    /// change).
    #[serde(deserialize_with = "super::lenient::text")]
    pub release: String,
    /// The plan they move to; empty: each keeps its plan.
    #[serde(deserialize_with = "super::lenient::text")]
    pub template_id: String,
    /// Only the tenants on this plan (with no list of tenants).
    #[serde(deserialize_with = "super::lenient::text")]
    pub plan: String,
    /// The tenants to move; empty: every live tenant of the application.
    pub tenants: Vec<String>,
    /// Wave sizes after one another, counts or shares of the whole:
    /// "1, 3, 100%" (a canary, three, the rest).
    #[serde(deserialize_with = "super::lenient::text")]
    pub waves: String,
    /// The tenant that goes first (alone, when the first wave is 1).
    #[serde(deserialize_with = "super::lenient::text")]
    pub canary: String,
    /// Runs at once within a wave (1 unless given).
    #[serde(deserialize_with = "super::lenient::text")]
    pub parallelism: String,
    /// Seconds each wave's tenants must stay healthy before the next
    /// wave starts (0 unless given).
    #[serde(deserialize_with = "super::lenient::text")]
    pub soak_secs: String,
    /// Compare each tenant's objects as the move would render them with
    /// the cluster (the first `DRY_RUN_MAX` tenants, in wave order): a
    /// checkbox ("on") or `true`.
    #[serde(deserialize_with = "super::lenient::checkbox")]
    pub dry_run: Option<String>,
}

/// How many tenants a plan's dry-run compares with the cluster (in wave
/// order; the others follow the same change).
pub const DRY_RUN_MAX: usize = 50;

/// One tenant of a rollout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutTenantDto {
    pub tenant_id: String,
    /// Its wave, from 1.
    pub wave: i64,
    pub state: RolloutTenantState,
    /// Its state when the rollout was planned: health is judged against
    /// it (a tenant degraded before is not a regression).
    pub from_state: super::TenantState,
    /// What it ran before the rollout moved it.
    pub from_release: i64,
    pub from_template_id: i64,
    pub from_template_version: i64,
    /// The run that moves it (or moved it back).
    pub run_id: Option<i64>,
    /// What went wrong, when it failed.
    pub detail: Option<String>,
    /// What the move changes, from the planning.
    #[serde(default)]
    pub change: String,
    /// When it last changed state (ms).
    #[serde(default)]
    pub since: i64,
    /// The dump its run took before the new release's migrations (the
    /// release asked for one): a roll-back may restore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_before_migration: Option<i64>,
    /// A plan's dry-run of the move: what it would change on the cluster,
    /// object by object (not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<String>,
}

/// A roll-back of one of a rollout's tenants. `restore` also puts back
/// the dump its move took before the new release's migrations (admins: it
/// replaces the tenant's data; what it replaces is dumped first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RollbackForm {
    pub restore: bool,
}

/// A rollout and its tenants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutDto {
    pub id: i64,
    pub application: String,
    pub release: Option<i64>,
    pub template_id: Option<i64>,
    pub state: RolloutState,
    /// Why it paused or stopped (naming the tenant, the step and the
    /// cause when it paused itself).
    pub reason: Option<String>,
    /// The wave under way, from 1 (the number of waves once completed).
    pub wave: i64,
    pub waves: i64,
    pub parallelism: i64,
    pub soak_secs: i64,
    /// When the wave under way finished its runs (its soak started).
    pub soak_started_at: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub tenants: Vec<RolloutTenantDto>,
}

/// A rollout planned, before it starts: its tenants wave by wave, each
/// with what would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RolloutPlan {
    pub application: String,
    pub release: Option<i64>,
    pub template_id: Option<i64>,
    pub waves: Vec<Vec<RolloutTenantDto>>,
    /// Tenants of the selection left out, each with why (not live, a run
    /// under way, already there).
    pub left_out: Vec<String>,
    /// What the dry-run compared, when asked for (how many tenants, and
    /// whether the cluster answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<String>,
}
