//! Rollouts from the console: planned (`rollout_plan.rs`), started as a
//! record the leader drives (`crate::rollouts`), and paused, resumed,
//! aborted, spared a tenant or rolled one back by staff — each audited.

use app::api::rollouts::Rollouts;
use app::domain::rollout::{may_move, ValidRollout};
use app::dto::{
    CurrentStaff, Role, RollbackForm, RolloutDto, RolloutForm, RolloutPlan, RolloutState,
    RolloutTenantState as S,
};
use app::error::AppError;

use super::{require, ConsoleService, R};
use crate::store::{NewRollout, NewRolloutTenant};

/// Rollouts listed at once.
const LISTED: i64 = 100;

impl ConsoleService {
    /// Moves tenant `id` for rollout `rollout`: its plan and release set to
    /// the rollout's, an update run started that records the rollout. The
    /// run's id.
    pub(crate) async fn move_for_rollout(
        &self,
        who: &CurrentStaff,
        id: &str,
        (release, template): (Option<i64>, Option<i64>),
        rollout: i64,
    ) -> R<i64> {
        let t = self.store.get_tenant(id).await?;
        let form = app::dto::ChangeForm {
            template_id: template.map(|p| p.to_string()).unwrap_or_default(),
            release: release.map(|n| n.to_string()).unwrap_or_default(),
            ..Default::default()
        };
        Ok(self
            .apply_change(who, &t, &form, (Some(rollout), None))
            .await?
            .id)
    }

    /// Staff move a rollout from one state to another (audited).
    async fn staff_move(
        &self,
        who: &CurrentStaff,
        id: i64,
        to: RolloutState,
        action: &str,
    ) -> R<RolloutDto> {
        require(who, Role::Operator, "steer rollouts")?;
        let r = self.store.get_rollout(id).await?;
        if !may_move(r.state, to) {
            return Err(AppError::Conflict(format!(
                "Rollout {id} is {}: it cannot be made {to}.",
                r.state
            )));
        }
        let reason = match to {
            RolloutState::Aborted => {
                // Moved: its record names what the rollout moves to (a
                // tenant that turned unhealthy after its run moved too).
                let mut moved: Vec<&str> = vec![];
                for t in r.tenants.iter().filter(|t| t.run_id.is_some()) {
                    let now = self.store.get_tenant(&t.tenant_id).await?;
                    let there = r.release.is_none_or(|n| n == now.release)
                        && r.template_id.is_none_or(|p| p == now.template_id);
                    if there {
                        moved.push(t.tenant_id.as_str());
                    }
                }
                Some(format!(
                    "aborted by {}; moved already (they stay): {}",
                    who.username,
                    if moved.is_empty() {
                        "none".to_string()
                    } else {
                        moved.join(", ")
                    }
                ))
            }
            RolloutState::Paused => Some(format!("paused by {}", who.username)),
            _ => None,
        };
        if to == RolloutState::Running {
            // The failed tenants of the wave under way are tried again.
            for t in r
                .tenants
                .iter()
                .filter(|t| t.wave == r.wave && t.state == S::Failed)
            {
                self.store
                    .move_rollout_tenant((id, &t.tenant_id), &[S::Failed], S::Pending, (None, None))
                    .await?;
            }
        }
        if !self
            .store
            .move_rollout(
                id,
                (r.state, to),
                (&who.username, action, reason.as_deref()),
            )
            .await?
        {
            return Err(AppError::Conflict(format!(
                "Rollout {id} changed meanwhile: look again."
            )));
        }
        self.kick_rollout(id).await;
        Ok(self.store.get_rollout(id).await?)
    }

    /// Records rollout `v` as planned (`plan`) and moves it on at once;
    /// a plan with no tenant to move is refused on `tenants`.
    pub(super) async fn start_planned(
        &self,
        who: &CurrentStaff,
        v: &ValidRollout,
        plan: &RolloutPlan,
    ) -> R<RolloutDto> {
        let tenants: Vec<NewRolloutTenant> = plan
            .waves
            .iter()
            .flatten()
            .map(|t| NewRolloutTenant {
                tenant_id: t.tenant_id.clone(),
                wave: t.wave,
                from_state: t.from_state,
                from_release: t.from_release,
                from_template: (t.from_template_id, t.from_template_version),
                change: t.change.clone(),
            })
            .collect();
        if tenants.is_empty() {
            return Err(AppError::invalid(
                "tenants",
                format!(
                    "no tenant to move{}",
                    if plan.left_out.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", plan.left_out.join("; "))
                    }
                ),
            ));
        }
        let new = NewRollout {
            application: &plan.application,
            release: v.release,
            template_id: v.template_id,
            waves: plan.waves.len() as i64,
            parallelism: i64::from(v.parallelism),
            soak_secs: i64::from(v.soak_secs),
        };
        let r = self
            .store
            .create_rollout(&new, &tenants, &who.username)
            .await?;
        self.kick_rollout(r.id).await;
        Ok(self.store.get_rollout(r.id).await?)
    }

    /// Moves a rollout on now instead of at the leader's next look (the
    /// guarded writes make a second driver harmless).
    async fn kick_rollout(&self, id: i64) {
        if let Err(e) = crate::rollouts::drive(self, id).await {
            tracing::warn!(rollout = id, error = %e, "the rollout could not move on now; the leader tries again");
        }
    }
}

#[async_trait::async_trait]
impl Rollouts for ConsoleService {
    async fn plan_rollout(&self, who: &CurrentStaff, form: RolloutForm) -> R<RolloutPlan> {
        require(who, Role::Viewer, "plan rollouts")?;
        Ok(self.planned(&form).await?.1)
    }

    async fn start_rollout(&self, who: &CurrentStaff, form: RolloutForm) -> R<RolloutDto> {
        require(who, Role::Operator, "start rollouts")?;
        self.engine().await?;
        // Planned again as it stands now; its dry-run was for the eyes.
        let form = RolloutForm {
            dry_run: None,
            ..form
        };
        let (v, plan) = self.planned(&form).await?;
        self.start_planned(who, &v, &plan).await
    }

    async fn list_rollouts(&self, who: &CurrentStaff) -> R<Vec<RolloutDto>> {
        require(who, Role::Viewer, "see rollouts")?;
        Ok(self.store.list_rollouts(LISTED).await?)
    }

    async fn get_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto> {
        require(who, Role::Viewer, "see rollouts")?;
        Ok(self.store.get_rollout(id).await?)
    }

    async fn pause_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto> {
        self.staff_move(who, id, RolloutState::Paused, "rollout.pause")
            .await
    }

    async fn resume_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto> {
        self.staff_move(who, id, RolloutState::Running, "rollout.resume")
            .await
    }

    async fn abort_rollout(&self, who: &CurrentStaff, id: i64) -> R<RolloutDto> {
        self.staff_move(who, id, RolloutState::Aborted, "rollout.abort")
            .await
    }

    async fn skip_rollout_tenant(
        &self,
        who: &CurrentStaff,
        id: i64,
        tenant: String,
    ) -> R<RolloutDto> {
        require(who, Role::Operator, "steer rollouts")?;
        let r = self.store.get_rollout(id).await?;
        if matches!(r.state, RolloutState::Completed | RolloutState::Aborted) {
            return Err(AppError::Conflict(format!("Rollout {id} is {}.", r.state)));
        }
        let Some(t) = r.tenants.iter().find(|t| t.tenant_id == tenant) else {
            return Err(AppError::invalid(
                "tenant",
                format!("\"{tenant}\" is not one of rollout {id}'s tenants"),
            ));
        };
        let detail = format!("skipped by {}", who.username);
        if !self
            .store
            .move_rollout_tenant(
                (id, &tenant),
                &[S::Pending, S::Failed],
                S::Skipped,
                (None, Some(&detail)),
            )
            .await?
        {
            return Err(AppError::Conflict(format!(
                "Tenant \"{tenant}\" of rollout {id} is {}: only a waiting or failed tenant is skipped.",
                t.state
            )));
        }
        self.store
            .write_audit(
                crate::store::AuditEntry::new(
                    &who.username,
                    "rollout.skip",
                    "rollout",
                    id.to_string(),
                )
                .detail(format!("tenant {tenant}")),
            )
            .await?;
        self.kick_rollout(id).await;
        Ok(self.store.get_rollout(id).await?)
    }

    async fn rollback_rollout_tenant(
        &self,
        who: &CurrentStaff,
        id: i64,
        tenant: String,
        form: RollbackForm,
    ) -> R<RolloutDto> {
        require(who, Role::Operator, "roll tenants back")?;
        if form.restore {
            require(who, Role::Admin, "restore a tenant's database")?;
        }
        let r = self.store.get_rollout(id).await?;
        let Some(entry) = r.tenants.iter().find(|t| t.tenant_id == tenant) else {
            return Err(AppError::invalid(
                "tenant",
                format!("\"{tenant}\" is not one of rollout {id}'s tenants"),
            ));
        };
        if !matches!(entry.state, S::Done | S::Failed) {
            return Err(AppError::Conflict(format!(
                "Tenant \"{tenant}\" of rollout {id} is {}: only a tenant it moved (or failed to) is rolled back.",
                entry.state
            )));
        }
        // The data from before the migration, when its move took a dump
        // (its release asked for one) that is still in the store.
        let restore = match (form.restore, entry.backup_before_migration) {
            (false, _) => None,
            (true, Some(b)) => Some(b),
            (true, None) => {
                return Err(AppError::invalid(
                    "restore",
                    format!(
                        "the move of \"{tenant}\" took no backup before its migrations (its release asks for none, or the dump was pruned): roll it back without restoring"
                    ),
                ))
            }
        };
        let t = self.store.get_tenant(&tenant).await?;
        // Its plan as before (at the version it ran), its release as before.
        let change = app::dto::ChangeForm {
            template_id: if t.template_id == entry.from_template_id {
                String::new()
            } else {
                entry.from_template_id.to_string()
            },
            release: entry.from_release.to_string(),
            ..Default::default()
        };
        let run = self
            .apply_change(who, &t, &change, (Some(id), restore))
            .await?;
        let detail = format!(
            "rolled back by {} to release {} (run {}){}",
            who.username,
            entry.from_release,
            run.id,
            restore.map_or(String::new(), |b| format!(
                ", restoring backup {b} taken before the migrations"
            ))
        );
        self.store
            .move_rollout_tenant(
                (id, &tenant),
                &[S::Done, S::Failed],
                S::RolledBack,
                (Some(run.id), Some(&detail)),
            )
            .await?;
        self.store
            .write_audit(
                crate::store::AuditEntry::new(
                    &who.username,
                    "rollout.rollback",
                    "rollout",
                    id.to_string(),
                )
                .detail(format!("tenant {tenant}: {detail}")),
            )
            .await?;
        self.kick_rollout(id).await;
        Ok(self.store.get_rollout(id).await?)
    }
}
