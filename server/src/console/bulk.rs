//! What a bulk action checks and does beyond the single operations it
//! starts: every tenant of a bulk deprovisioning must take backups; a
//! retry resumes each tenant's latest failed run.

use app::api::runs::Runs;
use app::dto::{CurrentStaff, RunState};
use app::error::AppError;

use super::{ConsoleService, R};

impl ConsoleService {
    /// Refuses a bulk deprovisioning that names a tenant whose plan takes no
    /// backups (or that does not exist), naming each.
    pub(super) async fn all_back_up(&self, ids: &[String]) -> R<()> {
        let mut refused = vec![];
        for id in ids {
            match self.store.get_tenant(id).await {
                Ok(t) => {
                    let plan = crate::provisioning::TenantPlan::of(&self.store, &t).await?;
                    if !plan.takes_backups() {
                        refused.push(format!("\"{id}\" ({} has no backups)", t.template_name));
                    }
                }
                Err(crate::error::ServerError::NotFound(_)) => {
                    refused.push(format!("\"{id}\" (no such tenant)"))
                }
                Err(e) => return Err(e.into()),
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(AppError::invalid(
            "ids",
            format!(
                "a bulk deprovisioning backs every tenant up first; these cannot be: {}. \
                 Deprovision them one by one, or leave them out",
                refused.join(", ")
            ),
        ))
    }

    /// Resumes a tenant's latest run when it failed or was cancelled.
    pub(super) async fn retry_latest(
        &self,
        who: &CurrentStaff,
        tenant: &str,
    ) -> R<app::dto::RunDto> {
        let runs = self.store.runs_for_tenant(tenant).await?;
        match runs.first() {
            Some(r) if matches!(r.state, RunState::Failed | RunState::Cancelled) => {
                self.recover_run(who, r.id).await
            }
            Some(r) => Err(AppError::Conflict(format!(
                "the latest run ({}) is {}: only a failed or cancelled run can be retried",
                r.id, r.state
            ))),
            None => Err(AppError::Conflict(
                "no run yet: provision the tenant first".into(),
            )),
        }
    }
}
