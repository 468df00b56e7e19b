//! What each step does. Every step reads the desired state (the rendered
//! manifests), applies it with server-side apply, and waits with watches, so
//! running it again after a crash converges instead of duplicating.

use std::time::Duration;

use app::dto::{Operation, RunOptions};

use super::Step;
use crate::cluster::ownership::{self, NamespaceFound};
use crate::cluster::{self, Cluster, TenantNamespace};
use crate::config::StoreCredentials;
use crate::error::{Result, ServerError};
use crate::manifests::{
    db_roles_job, migration_job, stale_autoscaler, stale_backup_objects, Manifest,
};
use crate::monitoring::{ClusterIndex, Target};
use crate::store::{NamespaceRecord, Store};

/// How a step ended when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Done(String),
    /// Finished, but something is not as it should be; the run goes on.
    Warn(String),
    /// Not yet: the run is put back and picked up again at this time (ms).
    Later(i64),
}

/// What a step works on.
pub struct StepContext<'a> {
    pub cluster: &'a Cluster,
    /// The one picture of the cluster the waits read.
    pub index: &'a ClusterIndex,
    pub store: &'a Store,
    pub tenant_id: &'a str,
    pub actor: &'a str,
    pub options: &'a RunOptions,
    pub manifests: &'a [Manifest],
    /// The dump Job of this run (back up now, or before deprovisioning).
    pub backup_job: &'a Manifest,
    /// The restore Job of a restore run.
    pub restore_job: Option<&'a Manifest>,
    /// Copied into the tenant's `backup-store` Secret.
    pub store_credentials: Option<&'a StoreCredentials>,
    /// The backup store, when its key is configured: it signs each backup
    /// or restore Job's one URL, then checks, catalogues and prunes.
    pub objects: Option<&'a super::ObjectStore>,
    pub run_id: i64,
    pub operation: Operation,
    pub namespace: &'a str,
    /// When the step's first attempt started (ms), for the grace period.
    pub step_started_at: i64,
    pub now: i64,
    pub wait_database: Duration,
    pub wait_application: Duration,
    pub wait_teardown: Duration,
}

fn component(m: &Manifest) -> &str {
    m.body["metadata"]["labels"]["app.kubernetes.io/component"]
        .as_str()
        .unwrap_or("")
}

fn is_namespace_level(m: &Manifest) -> bool {
    matches!(
        m.kind.as_str(),
        "Namespace" | "ResourceQuota" | "LimitRange" | "NetworkPolicy"
    )
}

fn is_database(m: &Manifest) -> bool {
    component(m) == "database" && m.kind != "Secret"
}

/// The backup script's ConfigMap and the tier's backup schedule.
fn is_backup_setup(m: &Manifest) -> bool {
    component(m) == "backup" && m.kind != "Secret"
}

fn is_application(m: &Manifest) -> bool {
    matches!(
        m.kind.as_str(),
        "Deployment" | "Ingress" | "HorizontalPodAutoscaler" | "Certificate"
    ) || (m.kind == "Service" && !is_database(m))
}

/// Waits for `target` in the tenant's namespace (see `cluster::wait_ready`).
async fn wait(
    ctx: &StepContext<'_>,
    target: Target<'_>,
    component: &str,
    timeout: Duration,
) -> Result<()> {
    let at = (ctx.tenant_id, ctx.namespace);
    cluster::wait_ready(
        &ctx.cluster.client,
        ctx.index,
        at,
        target,
        component,
        timeout,
    )
    .await
}

async fn apply_where(ctx: &StepContext<'_>, keep: impl Fn(&Manifest) -> bool) -> Result<String> {
    let mut names = vec![];
    for m in ctx.manifests.iter().filter(|m| keep(m)) {
        cluster::apply_manifest(&ctx.cluster.client, m).await?;
        names.push(format!("{} {}", m.kind, m.name));
    }
    Ok(format!("applied {}", names.join(", ")))
}

/// The tenant's namespace as its row knows it (UID and claim nonce).
fn target<'a>(rec: &'a NamespaceRecord, (tenant, ns): (&'a str, &'a str)) -> TenantNamespace<'a> {
    TenantNamespace {
        name: ns,
        tenant,
        uid: rec.uid.as_deref(),
        nonce: rec.nonce.as_deref(),
    }
}

/// The tenant's namespace as it stands; one that is not Tenantry's (other
/// labels, not the UID Tenantry created, or labels copied onto a namespace
/// Tenantry did not make) is refused for good, before anything is written
/// into it.
async fn our_namespace(ctx: &StepContext<'_>) -> Result<NamespaceFound> {
    let rec = ctx.store.namespace_record(ctx.tenant_id).await?;
    ownership::inspect(
        &ctx.cluster.client,
        &target(&rec, (ctx.tenant_id, ctx.namespace)),
    )
    .await
}

/// Whether the namespace is Tenantry's, exists and is not already being
/// removed (nothing can be created in a terminating namespace).
async fn namespace_usable(ctx: &StepContext<'_>) -> Result<bool> {
    Ok(matches!(
        our_namespace(ctx).await?,
        NamespaceFound::Ours {
            terminating: false,
            ..
        }
    ))
}

/// Deletes the tenant's namespace (if it is Tenantry's) and forgets its UID.
pub async fn remove_namespace(
    cluster: &Cluster,
    store: &Store,
    (tenant, ns): (&str, &str),
    force: bool,
    timeout: Duration,
) -> Result<Vec<String>> {
    let rec = store.namespace_record(tenant).await?;
    let target = target(&rec, (tenant, ns));
    let forced = if force {
        cluster::force_delete_namespace(&cluster.client, &target, timeout).await?
    } else {
        cluster::delete_namespace(&cluster.client, &target, timeout).await?;
        vec![]
    };
    store.forget_namespace(tenant).await?;
    Ok(forced)
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

/// The HPA a tier no longer asks for (a downgrade) is removed.
async fn prune_autoscaler(ctx: &StepContext<'_>) -> Result<Option<String>> {
    let Some(stale) = stale_autoscaler(ctx.manifests, &ctx.cluster.caps, ctx.namespace) else {
        return Ok(None);
    };
    cluster::delete_manifest(&ctx.cluster.client, &stale).await?;
    Ok(Some("no autoscaler in this tier".into()))
}

pub async fn execute(step: Step, ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let ns = ctx.namespace;
    let writes_inside = matches!(
        step,
        Step::Secrets | Step::Database | Step::Migrate | Step::Application
    );
    if writes_inside && our_namespace(ctx).await? == NamespaceFound::Absent {
        return Err(ServerError::Conflict(format!(
            "Namespace {ns} does not exist: provision the tenant again to make it"
        )));
    }
    match step {
        Step::Namespace => {
            let wanted = ctx
                .manifests
                .iter()
                .find(|m| m.kind == "Namespace")
                .ok_or_else(|| ServerError::Config("no Namespace rendered".into()))?;
            // The nonce is on the row before the create, so a crash right
            // after it still finds the namespace Tenantry made.
            let rec = ctx.store.namespace_nonce(ctx.tenant_id).await?;
            let uid =
                ownership::claim_namespace(client, wanted, &target(&rec, (ctx.tenant_id, ns)))
                    .await?;
            ctx.store.set_namespace_uid(ctx.tenant_id, &uid).await?;
            // Everything inside it (the Namespace object too) is written
            // through the console's binding there.
            if let Some(access) = &ctx.cluster.access {
                cluster::access::grant(client, access, (ns, ctx.tenant_id)).await?;
            }
            Ok(StepOutcome::Done(
                apply_where(ctx, is_namespace_level).await?,
            ))
        }
        Step::Secrets => {
            let made = cluster::ensure_tenant_secrets(client, ctx.manifests).await?;
            let mut text: Vec<String> = made
                .iter()
                .map(|(name, created)| {
                    format!("{name} {}", if *created { "generated" } else { "kept" })
                })
                .collect();
            // CloudNativePG's object store reads the store's key from here.
            if let Some(name) =
                cluster::apply_store_secret(client, ctx.manifests, ctx.store_credentials).await?
            {
                text.push(format!("{name} copied"));
            }
            Ok(StepOutcome::Done(text.join(", ")))
        }
        Step::Database => {
            let mut line = apply_where(ctx, |m| is_database(m) || is_backup_setup(m)).await?;
            for stale in stale_backup_objects(ctx.manifests, &ctx.cluster.caps, ns) {
                if cluster::get_live(client, &stale).await?.is_some() {
                    cluster::delete_manifest(client, &stale).await?;
                    line.push_str(&format!("; {} {} removed", stale.kind, stale.name));
                }
            }
            Ok(StepOutcome::Done(line))
        }
        Step::WaitDatabase => {
            let db = if ctx.cluster.caps.cnpg {
                Target::DbCluster("db")
            } else {
                Target::StatefulSet("db")
            };
            wait(ctx, db, "database", ctx.wait_database).await?;
            Ok(StepOutcome::Done("database ready".into()))
        }
        Step::Migrate => {
            let rendered = migration_job(ctx.manifests)
                .ok_or_else(|| ServerError::Config("no migration Job rendered".into()))?;
            // After a restore the migrations run again (the dump may be
            // older than the schema), so that run gets a Job of its own.
            let renamed;
            let job = if ctx.operation == Operation::Restore {
                let mut j = rendered.clone();
                j.name = format!("{}-r{}", rendered.name, ctx.run_id);
                j.body["metadata"]["name"] = serde_json::json!(j.name);
                renamed = j;
                &renamed
            } else {
                rendered
            };
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
            cluster::apply_manifest(client, job).await?;
            wait(ctx, Target::Job(&job.name), "migration", ctx.wait_database).await?;
            done.push(format!("Job {} completed", job.name));
            Ok(StepOutcome::Done(done.join("; ")))
        }
        Step::Application => {
            let mut line = apply_where(ctx, is_application).await?;
            if let Some(pruned) = prune_autoscaler(ctx).await? {
                line.push_str(&format!("; {pruned}"));
            }
            Ok(StepOutcome::Done(line))
        }
        Step::Backup => {
            if !namespace_usable(ctx).await? {
                return Ok(StepOutcome::Done(format!(
                    "nothing to back up: namespace {ns} is absent or being removed"
                )));
            }
            let job = ctx.backup_job;
            // The key is used only if the Job is made now (an earlier
            // attempt's Job keeps its own).
            let key = super::backups::dump_key(ctx.objects, ctx.tenant_id, &job.name, ctx.now);
            run_job(ctx, job, ("backup", &key)).await?;
            let at = (ctx.tenant_id, ns);
            let objects = ctx
                .objects
                .ok_or_else(|| ServerError::Config("no backup store".into()))?;
            let row = super::backups::record_job(client, ctx.store, at, (&job.name, objects))
                .await?
                .ok_or_else(|| ServerError::Wait(format!("Job {} is gone", job.name)))?;
            Ok(StepOutcome::Done(format!(
                "Job {} completed: {} ({} bytes, sha256 {})",
                job.name, row.location, row.size_bytes, row.sha256
            )))
        }
        Step::Restore => {
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
        Step::GracePeriod => {
            let until = ctx
                .step_started_at
                .saturating_add(i64::from(ctx.options.grace_hours) * 3_600_000);
            if ctx.now >= until {
                Ok(StepOutcome::Done(format!(
                    "grace period of {}h over",
                    ctx.options.grace_hours
                )))
            } else {
                Ok(StepOutcome::Later(until))
            }
        }
        Step::PurgeAudit => {
            let gone = ctx
                .store
                .purge_tenant_audit(ctx.tenant_id, ctx.actor)
                .await?;
            Ok(StepOutcome::Done(format!("{gone} audit event(s) removed")))
        }
        Step::WaitApi | Step::WaitWeb => {
            let name = if step == Step::WaitApi { "api" } else { "web" };
            match wait(ctx, Target::Deployment(name), name, ctx.wait_application).await {
                Ok(()) => Ok(StepOutcome::Done(format!("{name} ready"))),
                Err(ServerError::Wait(reason)) => Ok(StepOutcome::Warn(reason)),
                Err(e) => Err(e),
            }
        }
        Step::SuspendWorkloads => {
            if !namespace_usable(ctx).await? {
                return Ok(StepOutcome::Done(format!(
                    "nothing to stop: namespace {ns} is absent or being removed"
                )));
            }
            let mut done = vec![];
            for m in ctx.manifests {
                match m.kind.as_str() {
                    "Deployment" => {
                        let mut zero = m.clone();
                        zero.body["spec"]["replicas"] = serde_json::json!(0);
                        cluster::apply_manifest(client, &zero).await?;
                        done.push(format!("{} scaled to 0", m.name));
                    }
                    "Ingress" | "HorizontalPodAutoscaler" => {
                        cluster::delete_manifest(client, m).await?;
                        done.push(format!("{} {} removed", m.kind, m.name));
                    }
                    _ => {}
                }
            }
            Ok(StepOutcome::Done(done.join(", ")))
        }
        Step::DeleteNamespace => {
            // Checked again as the run executes: a clean-up queued before
            // the tenant went live never removes its data.
            if ctx.operation == Operation::Cleanup
                && ctx.store.get_tenant(ctx.tenant_id).await?.ever_live()
            {
                return Err(ServerError::Conflict(format!(
                    "\"{}\" has been live: clean-up would remove namespace {ns} and its data; only deprovision may",
                    ctx.tenant_id
                )));
            }
            let forced = remove_namespace(
                ctx.cluster,
                ctx.store,
                (ctx.tenant_id, ns),
                ctx.options.force,
                ctx.wait_teardown,
            )
            .await?;
            let mut line = format!("namespace {ns} removed");
            for f in forced {
                line.push_str(&format!("; {f}"));
            }
            Ok(StepOutcome::Done(line))
        }
    }
}
