//! What a tenant should be: its plan (its template's key and version, and
//! the tier with the tenant's replica overrides) and, from it, the
//! settings and what the cluster serves, its desired objects and Jobs.
//! Everything that renders a tenant (the runner, the scheduled backups,
//! the previews) goes through [`Desired`], so they cannot disagree.

use std::sync::Arc;

use app::domain::steps::Step;
use app::dto::{BackupDto, BackupMethod, CustomValues, JobPhase, ReleaseSpec, TenantDto, TierSpec};

use crate::error::Result;
use crate::manifests::{
    backup_job, phase_jobs, render, restore_job, scheduled_job, Capabilities, Manifest,
    RenderSettings, TenantInput,
};
use crate::store::Store;

/// A tenant on its plan, rendered with the settings for the cluster as it
/// is: the one source of its objects and Jobs.
pub struct Desired<'a> {
    input: TenantInput<'a>,
    settings: &'a RenderSettings,
    caps: &'a Capabilities,
}

impl Desired<'_> {
    /// Every object the tenant should have.
    pub fn objects(&self) -> Vec<Manifest> {
        render(&self.input, self.settings, self.caps)
    }

    /// The dump Job of run `run`.
    pub fn backup_job(&self, run: i64, method: BackupMethod) -> Manifest {
        backup_job(&self.input, self.settings, self.caps, run, method)
    }

    /// The Job of run `run` that restores `backup`.
    pub fn restore_job(&self, run: i64, backup: &BackupDto) -> Manifest {
        restore_job(&self.input, self.settings, self.caps, run, backup)
    }

    /// The dump Job of the tier's schedule for the slot at `slot` (s).
    pub fn scheduled_backup(&self, slot: i64) -> Manifest {
        scheduled_job(&self.input, self.settings, self.caps, slot)
    }

    /// The release's health endpoints, as the plan runs it.
    pub fn health(&self) -> Vec<super::steps::HealthTarget> {
        super::steps::health_targets(self.input.release)
    }

    /// The release's jobs of every phase but `migrate` (whose Jobs are
    /// among the objects), each with the step that runs it and how many
    /// times that step may run it.
    pub fn phase_jobs(&self) -> Vec<PhaseJob> {
        JobPhase::ALL
            .iter()
            .filter(|p| **p != JobPhase::Migrate)
            .flat_map(|&phase| {
                let specs = self
                    .input
                    .release
                    .jobs
                    .iter()
                    .filter(move |j| j.phase == phase);
                specs
                    .zip(phase_jobs(&self.input, self.settings, self.caps, phase))
                    .map(move |(spec, job)| PhaseJob {
                        step: Step::job(phase, &spec.name),
                        job,
                        attempts: spec.attempts.unwrap_or(1),
                    })
            })
            .collect()
    }
}

/// One of the release's jobs after the rollout (or before deprovisioning):
/// its step, its Job (as its first attempt runs it) and how many times the
/// step may run it.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseJob {
    pub step: Step,
    pub job: Manifest,
    pub attempts: u32,
}

impl PhaseJob {
    /// The job as run `run` runs it again (a rotation): Jobs of their own,
    /// named as long as the first rollout's (a hash of that name and the
    /// run in place of the spec's), so a retry finds them.
    pub fn again_in(&self, run: i64) -> PhaseJob {
        let name = &self.job.name;
        let base = name.get(..name.len().saturating_sub(8)).unwrap_or(name);
        let hash = crate::manifests::fnv1a(format!("{name}/run {run}").as_bytes()) as u32;
        let mut again = self.clone();
        again.job = self.job.renamed(&format!("{base}{hash:08x}"));
        again
    }

    /// The Job of attempt `n` (from 1): the first keeps its spec-hashed
    /// name (a retry after a crash finds it); each later one is a Job of
    /// its own.
    pub fn attempt(&self, n: i64) -> Manifest {
        if n > 1 {
            self.job.suffixed(&format!("-a{n}"))
        } else {
            self.job.clone()
        }
    }
}

/// A tenant's plan and its application's release: what its objects are
/// rendered from.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantPlan {
    pub key: String,
    pub version: i64,
    pub tier: TierSpec,
    /// The release's number in its application, and the release.
    pub release_number: i64,
    pub release: Arc<ReleaseSpec>,
}

/// A replica override replaces the tier's (at least one replica).
pub fn with_overrides(mut tier: TierSpec, (api, web): (Option<i64>, Option<i64>)) -> TierSpec {
    let fit = |n: i64| u32::try_from(n).unwrap_or(1).max(1);
    if let Some(n) = api {
        tier.api_replicas = fit(n);
    }
    if let Some(n) = web {
        tier.web_replicas = fit(n);
    }
    tier
}

impl TenantPlan {
    /// Template `template_id` at `version` and `release` of its
    /// application (the newest when `None`), with replica overrides.
    pub async fn load(
        store: &Store,
        (template_id, version): (i64, i64),
        release: Option<i64>,
        overrides: (Option<i64>, Option<i64>),
    ) -> Result<TenantPlan> {
        let parts = store.tenant_plan((template_id, version), release).await?;
        Ok(TenantPlan {
            key: parts.key,
            version,
            release_number: parts.release.0,
            release: Arc::new(app::domain::release::for_plan(
                parts.release.1,
                &parts.tier.features,
            )),
            tier: with_overrides(parts.tier, overrides),
        })
    }

    /// `template` as it stands (stored or not: a custom plan before it is
    /// made) with `release` of its application, without overrides.
    pub async fn of_template(
        store: &Store,
        template: &app::dto::TemplateDto,
        release: i64,
    ) -> Result<TenantPlan> {
        let r = store.get_release(template.application_id, release).await?;
        Ok(TenantPlan {
            key: template.key.clone(),
            version: template.version,
            release_number: r.number,
            release: Arc::new(app::domain::release::for_plan(
                r.spec,
                &template.spec.features,
            )),
            tier: template.spec.clone(),
        })
    }

    /// Whether the tenant's database is dumped: its plan takes backups and
    /// its release's database is one Tenantry dumps.
    pub fn takes_backups(&self) -> bool {
        self.tier.backup_enabled && crate::manifests::dumps(&self.release)
    }

    /// The tenant's plan as stored: its template version, its release.
    pub async fn of(store: &Store, t: &TenantDto) -> Result<TenantPlan> {
        Self::load(
            store,
            (t.template_id, t.template_version),
            Some(t.release),
            (t.api_replicas, t.web_replicas),
        )
        .await
    }

    /// The renderer's input for the tenant at `at` on this plan.
    fn input<'a>(&'a self, at: At<'a>) -> TenantInput<'a> {
        TenantInput {
            id: at.id,
            namespace: at.namespace,
            custom_domain: at.custom_domain,
            owner_email: at.owner_email,
            template_key: &self.key,
            template_version: self.version,
            tier: &self.tier,
            release: &self.release,
            custom_fields: at.custom_fields,
            secrets_rotated: at.secrets_rotated,
        }
    }

    /// The tenant at `at` on this plan, with the settings and the
    /// cluster's capabilities.
    pub fn desired<'a>(
        &'a self,
        at: At<'a>,
        settings: &'a RenderSettings,
        caps: &'a Capabilities,
    ) -> Desired<'a> {
        Desired {
            input: self.input(at),
            settings,
            caps,
        }
    }

    /// [`TenantPlan::desired`] for a stored tenant.
    pub fn desired_of<'a>(
        &'a self,
        t: &'a TenantDto,
        settings: &'a RenderSettings,
        caps: &'a Capabilities,
    ) -> Desired<'a> {
        self.desired(at(t), settings, caps)
    }
}

/// Who a tenant is, for rendering: its ID, namespace, custom domain,
/// owner and custom field values.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub id: &'a str,
    pub namespace: &'a str,
    pub custom_domain: Option<&'a str>,
    pub owner_email: &'a str,
    pub custom_fields: &'a CustomValues,
    /// When a rotation of its generated Secrets last started (ms).
    pub secrets_rotated: Option<i64>,
}

/// [`At`] of a stored tenant.
pub fn at(t: &TenantDto) -> At<'_> {
    At {
        id: &t.id,
        namespace: &t.namespace,
        custom_domain: t.domain_to_serve(),
        owner_email: &t.owner_email,
        custom_fields: &t.custom_fields,
        secrets_rotated: t.secrets_rotated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_the_tier_and_is_at_least_one() {
        let tier = crate::store::seed_templates()
            .into_iter()
            .find(|t| t.key == "professional")
            .expect("tier")
            .spec;
        let same = with_overrides(tier.clone(), (None, None));
        assert_eq!(same, tier);
        let changed = with_overrides(tier.clone(), (Some(5), Some(0)));
        assert_eq!((changed.api_replicas, changed.web_replicas), (5, 1));
        assert_eq!(with_overrides(tier, (Some(-3), None)).api_replicas, 1);
    }
}
