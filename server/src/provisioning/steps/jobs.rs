//! The steps that run Jobs: the migrations (after the database roles),
//! the release's other jobs, a backup (recorded in the catalogue) and a
//! restore.

use std::time::Duration;

use super::namespace::namespace_usable;
use super::waits::wait;
use super::StepOutcome;
use super::{is_backup_setup, StepContext};
use crate::cluster;
use crate::error::{Result, ServerError};
use crate::manifests::{db_roles_job, migration_jobs, Manifest, JOB_COMPONENT};
use crate::monitoring::Target;
use crate::provisioning::{Step, StepKind};
use app::dto::{JobPhase, Operation};

/// The database roles Job, then the release's migration Jobs in order
/// (Jobs of their own after a restore).
pub(super) async fn migrate(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    // After a restore (a restore run, or a roll-back that puts a dump
    // back) the migrations run again (the dump may be older than the
    // schema), so that run gets Jobs of its own.
    let restored = ctx.options.restores(ctx.operation).is_some();
    let jobs: Vec<Manifest> = migration_jobs(ctx.manifests)
        .into_iter()
        .map(|rendered| {
            if restored {
                rendered.suffixed(&format!("-r{}", ctx.run_id))
            } else {
                rendered.clone()
            }
        })
        .collect();
    let mut done = vec![];
    // First the application's role loses superuser rights (tenants
    // made before this release; a check for the others).
    if let Some(roles) = db_roles_job(ctx.manifests) {
        cluster::apply_manifest(client, roles).await?;
        wait(
            ctx,
            Target::Job(&roles.name),
            "database roles",
            ctx.wait_database,
        )
        .await?;
        done.push(format!("Job {} completed", roles.name));
    }
    for job in &jobs {
        cluster::apply_manifest(client, job).await?;
        wait(ctx, Target::Job(&job.name), "migration", ctx.wait_database).await?;
        done.push(format!("Job {} completed", job.name));
    }
    if done.is_empty() {
        return Ok(StepOutcome::Done("the release has no migrations".into()));
    }
    Ok(StepOutcome::Done(done.join("; ")))
}

/// One of the release's jobs after the rollout (`post-provision`,
/// `post-upgrade`) or before the namespace goes (`pre-deprovision`): each
/// attempt applied once (its name is a hash of its spec, so a retry finds
/// the Job it made) and waited for; a failed Job names its container's
/// termination message, and the job's `attempts` decide whether another
/// is made.
/// A `post-provision` job waits for a healthy rollout: after a wait that
/// warned it is left for the next update, which plans it again.
pub(super) async fn release_job(ctx: &StepContext<'_>, step: &Step) -> Result<StepOutcome> {
    if step.kind == StepKind::Job(JobPhase::PostProvision) && ctx.rollout_warned {
        return Ok(StepOutcome::Warn(format!(
            "job {} not run: the rollout is not healthy; the next update runs it",
            step.name
        )));
    }
    let Some(pj) = ctx.jobs.iter().find(|j| &j.step == step) else {
        return Ok(StepOutcome::Done(format!(
            "the release has no job \"{}\" any more",
            step.name
        )));
    };
    if step.kind == StepKind::Job(JobPhase::PreDeprovision) && !namespace_usable(ctx).await? {
        return Ok(StepOutcome::Done(format!(
            "not run: namespace {} is absent or being removed",
            ctx.namespace
        )));
    }
    // Each attempt is a Job of its own, found again after a crash: the
    // first that did not fail is waited for; a new one is made only after
    // the one before it failed.
    let n = i64::from(pj.attempts.max(1));
    let of_n = |k: i64| {
        if n > 1 {
            format!(" (attempt {k} of {n})")
        } else {
            String::new()
        }
    };
    // A rotation runs the jobs that read what it made anew: Jobs of its
    // own (the first rollout's are done).
    let pj = match ctx.operation {
        Operation::Rotate => pj.again_in(ctx.run_id),
        _ => pj.clone(),
    };
    for k in 1..=n {
        let job = pj.attempt(k);
        let made = cluster::get_live(&ctx.cluster.client, &job)
            .await?
            .is_none();
        if made {
            cluster::apply_manifest(&ctx.cluster.client, &job).await?;
        }
        match wait(
            ctx,
            Target::Job(&job.name),
            JOB_COMPONENT,
            ctx.wait_database,
        )
        .await
        {
            Ok(()) => {
                return Ok(StepOutcome::Done(format!(
                    "Job {} completed{}",
                    job.name,
                    of_n(k)
                )))
            }
            Err(ServerError::Wait(reason)) if k < n => {
                if made {
                    return Ok(StepOutcome::Again(format!(
                        "attempt {k} of {n} failed: {reason}"
                    )));
                }
            }
            Err(ServerError::Wait(reason)) if n > 1 => {
                return Err(ServerError::Wait(format!(
                    "attempt {k} of {n} failed: {reason}"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    Err(ServerError::Wait(format!(
        "job {} has no attempt left",
        step.name
    )))
}

/// Dumps the database to the object store and records the dump.
pub(super) async fn backup(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let ns = ctx.namespace;
    if !namespace_usable(ctx).await? {
        return Ok(StepOutcome::Done(format!(
            "nothing to back up: namespace {ns} is absent or being removed"
        )));
    }
    let job = ctx.backup_job;
    // The key is used only if the Job is made now (an earlier
    // attempt's Job keeps its own).
    let key =
        crate::provisioning::backups::dump_key(ctx.objects, ctx.tenant_id, &job.name, ctx.now);
    run_job(ctx, job, ("backup", &key)).await?;
    let at = (ctx.tenant_id, ns);
    let objects = ctx
        .objects
        .ok_or_else(|| ServerError::Config("no backup store".into()))?;
    let row = crate::provisioning::backups::record_job(client, ctx.store, at, (&job.name, objects))
        .await?
        .ok_or_else(|| ServerError::Wait(format!("Job {} is gone", job.name)))?;
    Ok(StepOutcome::Done(format!(
        "Job {} completed: {} ({} bytes, sha256 {})",
        job.name, row.location, row.size_bytes, row.sha256
    )))
}

/// Restores one catalogued dump from the configured bucket.
pub(super) async fn restore(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let job = ctx
        .restore_job
        .ok_or_else(|| ServerError::Config("this run names no backup to restore".into()))?;
    let key = crate::manifests::job_object_key(&job.body)
        .unwrap_or_default()
        .to_string();
    // The console signs for its configured bucket only.
    if let (Some(id), Some(objects)) = (ctx.options.backup_id, ctx.objects) {
        let location = ctx.store.get_backup(id).await?.location;
        let bucket = crate::manifests::location_key(&location).map(|(b, _)| b);
        if bucket != Some(objects.bucket()) {
            return Err(ServerError::Config(format!(
                "the dump {location} is not in the configured bucket s3://{}: it cannot be read",
                objects.bucket()
            )));
        }
    }
    run_job(ctx, job, ("restore", &key)).await?;
    Ok(StepOutcome::Done(format!(
        "Job {} restored the dump",
        job.name
    )))
}

/// What every backup or restore Job needs in the namespace: the script
/// (tenants made before backups existed get it here).
async fn backup_prerequisites(ctx: &StepContext<'_>) -> Result<()> {
    let client = &ctx.cluster.client;
    for m in ctx
        .manifests
        .iter()
        .filter(|m| is_backup_setup(m) && m.kind == "ConfigMap")
    {
        cluster::apply_manifest(client, m).await?;
    }
    Ok(())
}

/// Makes a dump or restore Job with its one presigned URL (once: a retry
/// finds the Job it made) and waits for it to complete.
async fn run_job(ctx: &StepContext<'_>, job: &Manifest, (what, key): (&str, &str)) -> Result<()> {
    let objects = ctx.objects.ok_or_else(|| {
        ServerError::Config(
            "no backup store is configured (TENANTRY_BACKUP_ACCESS_KEY_ID and \
             TENANTRY_BACKUP_SECRET_ACCESS_KEY): nothing can be backed up or restored"
                .into(),
        )
    })?;
    backup_prerequisites(ctx).await?;
    let client = &ctx.cluster.client;
    if cluster::get_live(client, job).await?.is_none() {
        let valid =
            Duration::from_secs(crate::manifests::BACKUP_DEADLINE_SECS.unsigned_abs() + 600);
        let url = if what == "restore" {
            objects.get_url(key, valid)
        } else {
            objects.put_url(key, valid)
        };
        let made = crate::manifests::with_object(job, key, url.as_str());
        cluster::apply_manifest(client, &made).await?;
    }
    wait(ctx, Target::Job(&job.name), what, ctx.wait_database).await
}
