//! What a bulk action checks and does beyond the single operations it
//! starts: every tenant of a bulk deprovisioning must take backups; a
//! retry resumes each tenant's latest failed run; a change of plan is a
//! rollout (one tenant first, then the rest).

use app::api::runs::Runs;
use app::dto::{BulkResult, CurrentStaff, RolloutForm, RunState};
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

    /// Moves the tenants `ids` to plan `template_id` by a rollout of the
    /// plan's application: one tenant first, then the rest, as many at once
    /// as a rollout may run; a tenant it leaves out is listed with why.
    pub(super) async fn bulk_change_plan(
        &self,
        who: &CurrentStaff,
        ids: &[String],
        template_id: &str,
    ) -> R<Vec<BulkResult>> {
        let plan = match template_id.parse::<i64>() {
            Ok(id) => self.store.get_template(id).await.ok(),
            Err(_) => None,
        }
        .ok_or_else(|| AppError::invalid("template_id", "must be one of the plans"))?;
        let form = RolloutForm {
            application: plan.application_key.clone(),
            template_id: plan.id.to_string(),
            tenants: ids.to_vec(),
            waves: "1, 100%".into(),
            parallelism: self.rollout_parallel_max().to_string(),
            ..Default::default()
        };
        let (valid, planned) = self.planned(&form).await?;
        let why = |id: &str| {
            planned
                .left_out
                .iter()
                .find_map(|l| l.strip_prefix(&format!("{id}: ")))
                .unwrap_or("not moved")
                .to_string()
        };
        let rollout = if planned.waves.iter().any(|w| !w.is_empty()) {
            self.engine().await?;
            Some(self.start_planned(who, &valid, &planned).await?)
        } else {
            None
        };
        Ok(ids
            .iter()
            .map(|id| {
                let entry = rollout.as_ref().and_then(|r| {
                    r.tenants
                        .iter()
                        .find(|t| &t.tenant_id == id)
                        .map(|t| (r, t))
                });
                match entry {
                    Some((r, t)) => BulkResult {
                        tenant_id: id.clone(),
                        ok: true,
                        message: format!(
                            "moving to plan \"{}\" in rollout {} (wave {} of {})",
                            plan.name, r.id, t.wave, r.waves
                        ),
                        run_id: t.run_id,
                        rollout_id: Some(r.id),
                    },
                    None => BulkResult {
                        tenant_id: id.clone(),
                        ok: false,
                        message: why(id),
                        run_id: None,
                        rollout_id: None,
                    },
                }
            })
            .collect())
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
