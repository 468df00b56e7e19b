//! Rollouts: tenants of an application moved to a release or a plan in
//! waves that stop themselves (see `domain::rollout`). Planning changes
//! nothing; starting one records it for the leader to drive.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{RollbackForm, RolloutDto, RolloutForm, RolloutPlan};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Rollouts across a fleet of tenants.
    pub trait Rollouts {
        /// The rollout a form asks for, wave by wave, each tenant with
        /// what would change; nothing is stored.
        [Page, Api]
        async fn plan_rollout(&self, who: &CurrentStaff, form: RolloutForm) -> R<RolloutPlan>;
        /// Plans and starts a rollout (operators).
        [Page, Api]
        async fn start_rollout(&self, who: &CurrentStaff, form: RolloutForm) -> R<RolloutDto>;
        /// The newest rollouts, without their tenants.
        [Page, Api]
        async fn list_rollouts(&self, who: &CurrentStaff) -> R<Vec<RolloutDto>>;
        /// A rollout with its tenants.
        [Page, Api]
        async fn get_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto>;
        /// Stops starting runs; those under way finish (operators).
        [Page, Api]
        async fn pause_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto>;
        /// Goes on; a failed tenant of the wave under way is tried again
        /// (operators).
        [Page, Api]
        async fn resume_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto>;
        /// Stops for good; the tenants moved already stay, and are listed
        /// (operators).
        [Page, Api]
        async fn abort_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto>;
        /// Leaves a waiting or failed tenant as it is (operators).
        [Page, Api]
        async fn skip_rollout_tenant(&self, who: &CurrentStaff, id: i64, tenant: String) -> R<RolloutDto>;
        /// Moves a tenant the rollout moved (or failed to) back to the
        /// release and plan it ran before, by an update run (operators).
        /// Its objects return; its database's schema does not, unless
        /// `restore` puts back the dump its move took before the new
        /// release's migrations (admins; what it replaces is dumped first).
        [Page, Api]
        async fn rollback_rollout_tenant(&self, who: &CurrentStaff, id: i64, tenant: String, form: RollbackForm) -> R<RolloutDto>;
    }
}

checked!(
    PlanRollout,
    StartRollout,
    ListRollouts,
    GetRollout,
    PauseRollout,
    ResumeRollout,
    AbortRollout,
    SkipRolloutTenant,
    RollbackRolloutTenant,
);

#[server(prefix = "/api", endpoint = "plan_rollout")]
pub async fn plan_rollout(#[server(default)] form: RolloutForm) -> Result<RolloutPlan, AppError> {
    serve!(plan_rollout(form))
}

#[server(prefix = "/api", endpoint = "start_rollout")]
pub async fn start_rollout(#[server(default)] form: RolloutForm) -> Result<RolloutDto, AppError> {
    serve!(start_rollout(form))
}

#[server(prefix = "/api", endpoint = "list_rollouts")]
pub async fn list_rollouts() -> Result<Vec<RolloutDto>, AppError> {
    serve!(list_rollouts())
}

#[server(prefix = "/api", endpoint = "get_rollout")]
pub async fn get_rollout(id: i64) -> Result<RolloutDto, AppError> {
    serve!(get_rollout(id))
}

#[server(prefix = "/api", endpoint = "pause_rollout")]
pub async fn pause_rollout(id: i64) -> Result<RolloutDto, AppError> {
    serve!(pause_rollout(id))
}

#[server(prefix = "/api", endpoint = "resume_rollout")]
pub async fn resume_rollout(id: i64) -> Result<RolloutDto, AppError> {
    serve!(resume_rollout(id))
}

#[server(prefix = "/api", endpoint = "abort_rollout")]
pub async fn abort_rollout(id: i64) -> Result<RolloutDto, AppError> {
    serve!(abort_rollout(id))
}

#[server(prefix = "/api", endpoint = "skip_rollout_tenant")]
pub async fn skip_rollout_tenant(id: i64, tenant: String) -> Result<RolloutDto, AppError> {
    serve!(skip_rollout_tenant(id, tenant))
}

#[server(prefix = "/api", endpoint = "rollback_rollout_tenant")]
pub async fn rollback_rollout_tenant(
    id: i64,
    tenant: String,
    #[server(default)] form: RollbackForm,
) -> Result<RolloutDto, AppError> {
    serve!(rollback_rollout_tenant(id, tenant, form))
}
