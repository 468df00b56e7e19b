//! Planning a rollout: the application's live tenants (or those named, or
//! those on one plan) cut into waves, each with what its move changes in
//! words and, when asked, a dry-run of it against the cluster. Nothing is
//! stored.

use std::collections::{HashMap, HashSet};

use app::domain::rollout::{cut_waves, dry_run_summary, ValidRollout};
use app::dto::{
    RolloutForm, RolloutPlan, RolloutTenantDto, RolloutTenantState as S, TenantDto, TenantState,
    DRY_RUN_MAX,
};
use app::error::AppError;

use super::{ConsoleService, R};

/// What the move changes for `t`, in words; `backup_first`: the release it
/// moves to dumps the database before its migrations.
fn change_of(
    t: &TenantDto,
    v: &ValidRollout,
    (plan_name, backup_first): (Option<&str>, bool),
) -> String {
    let mut parts = vec![];
    if let Some(n) = v.release.filter(|n| *n != t.release) {
        parts.push(format!(
            "release {} → {n}{}",
            t.release,
            if backup_first {
                " (a backup before its migrations)"
            } else {
                ""
            }
        ));
    }
    if let Some(p) = v.template_id.filter(|p| *p != t.template_id) {
        parts.push(format!(
            "plan {} → {}",
            t.template_name,
            plan_name.unwrap_or(&p.to_string())
        ));
    }
    parts.join("; ")
}

impl ConsoleService {
    /// The most runs one rollout has at once: half the runner's
    /// concurrency (at least one), so staff's own operations always find
    /// room.
    pub(super) fn rollout_parallel_max(&self) -> u32 {
        let concurrency = self
            .engine
            .get()
            .map_or(8, |e| e.runner.options().concurrency);
        u32::try_from((concurrency / 2).max(1)).unwrap_or(1)
    }

    /// The rollout the form asks for, checked, with its waves.
    pub(super) async fn planned(&self, form: &RolloutForm) -> R<(ValidRollout, RolloutPlan)> {
        let v = form.validate(self.rollout_parallel_max())?;
        let app = match self.store.get_application(&v.application).await {
            Err(crate::error::ServerError::NotFound(_)) => {
                return Err(AppError::invalid(
                    "application",
                    format!("there is no application \"{}\"", v.application),
                ))
            }
            other => other?,
        };
        if let Some(n) = v.release {
            if n < 1 || n > app.latest_release {
                return Err(AppError::invalid(
                    "release",
                    format!(
                        "{} has releases 1 to {}: there is no release {n}",
                        app.key, app.latest_release
                    ),
                ));
            }
        }
        let plan_name = match v.template_id {
            Some(id) => {
                let plan = self.store.get_template(id).await.map_err(|_| {
                    AppError::invalid("template_id", format!("there is no plan {id}"))
                })?;
                if plan.application_id != app.id || plan.custom {
                    return Err(AppError::invalid(
                        "template_id",
                        format!("plan \"{}\" is not one of {}'s plans", plan.name, app.key),
                    ));
                }
                Some(plan.name)
            }
            None => None,
        };
        let backup_first = match v.release {
            Some(n) => self.store.get_release(app.id, n).await?.spec.backup_first(),
            None => false,
        };
        let target = (plan_name.as_deref(), backup_first);
        let all = self.store.tenants_of_application(app.id).await?;
        let by_id: HashMap<&str, &TenantDto> = all.iter().map(|t| (t.id.as_str(), t)).collect();
        let named: HashSet<&str> = v.tenants.iter().map(String::as_str).collect();
        let mut left_out = vec![];
        let mut chosen: Vec<&TenantDto> = vec![];
        for name in &v.tenants {
            if !by_id.contains_key(name.as_str()) {
                left_out.push(format!("{name}: not a tenant of {}", app.key));
            }
        }
        for t in &all {
            if !named.is_empty() && !named.contains(t.id.as_str()) {
                continue;
            }
            if v.tenants.is_empty() && v.only_plan.is_some_and(|p| p != t.template_id) {
                continue;
            }
            if !matches!(t.state, TenantState::Active | TenantState::Degraded) {
                left_out.push(format!("{}: it is {}", t.id, t.state));
            } else if change_of(t, &v, target).is_empty() {
                left_out.push(format!("{}: it is there already", t.id));
            } else {
                chosen.push(t);
            }
        }
        let ids: Vec<String> = chosen.iter().map(|t| t.id.clone()).collect();
        let waves = cut_waves(&ids, v.canary.as_deref(), &v.waves)
            .into_iter()
            .enumerate()
            .map(|(i, wave)| {
                wave.iter()
                    .filter_map(|id| by_id.get(id.as_str()))
                    .map(|t| RolloutTenantDto {
                        tenant_id: t.id.clone(),
                        wave: i as i64 + 1,
                        state: S::Pending,
                        from_state: t.state,
                        from_release: t.release,
                        from_template_id: t.template_id,
                        from_template_version: t.template_version,
                        run_id: None,
                        detail: None,
                        change: change_of(t, &v, target),
                        since: 0,
                        backup_before_migration: None,
                        dry_run: None,
                    })
                    .collect()
            })
            .collect();
        let mut plan = RolloutPlan {
            application: app.key,
            release: v.release,
            template_id: v.template_id,
            waves,
            left_out,
            dry_run: None,
        };
        if v.dry_run {
            self.dry_run_plan(&mut plan, &chosen).await;
        }
        Ok((v, plan))
    }

    /// One tenant's move compared with the cluster, in words, and whether
    /// the cluster answered.
    async fn dry_run_one(
        &self,
        t: Option<TenantDto>,
        form: &app::dto::ChangeForm,
    ) -> (String, bool) {
        let Some(t) = t else {
            return ("not found".to_string(), false);
        };
        match self.dry_run(&t, form).await {
            Ok((_, _, Some(diff))) => (dry_run_summary(&diff), true),
            Ok((_, _, None)) => ("the cluster did not answer".to_string(), false),
            Err(e) => (format!("would be refused: {e}"), true),
        }
    }

    /// Each planned tenant's move compared with the cluster (the first
    /// `DRY_RUN_MAX`, in wave order, a few at once): what it would create,
    /// change or remove, or why the change would be refused.
    async fn dry_run_plan(&self, plan: &mut RolloutPlan, chosen: &[&TenantDto]) {
        use futures::StreamExt;
        let form = app::dto::ChangeForm {
            template_id: plan.template_id.map(|p| p.to_string()).unwrap_or_default(),
            release: plan.release.map(|n| n.to_string()).unwrap_or_default(),
            ..Default::default()
        };
        // Owned: a stream of futures over borrowed tenants is not `Send`
        // enough for the async trait that calls this.
        let targets: Vec<Option<TenantDto>> = plan
            .waves
            .iter()
            .flatten()
            .take(DRY_RUN_MAX)
            .map(|e| {
                chosen
                    .iter()
                    .find(|t| t.id == e.tenant_id)
                    .map(|t| (*t).clone())
            })
            .collect();
        let answers: Vec<(String, bool)> = futures::stream::iter(targets)
            .map(|t| self.dry_run_one(t, &form))
            .buffered(4)
            .collect()
            .await;
        let compared = answers.iter().filter(|(_, ok)| *ok).count();
        for (e, (summary, _)) in plan.waves.iter_mut().flatten().zip(answers) {
            e.dry_run = Some(summary);
        }
        let all = plan.waves.iter().map(Vec::len).sum::<usize>();
        plan.dry_run = Some(format!(
            "{compared} of {all} tenants compared with the cluster{}",
            if all > DRY_RUN_MAX {
                format!(" (the first {DRY_RUN_MAX} in wave order; the others move the same way)")
            } else {
                String::new()
            }
        ));
    }
}
