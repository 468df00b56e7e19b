//! What each step does, one file per family: `namespace` (claim, remove),
//! `objects` (apply the rendered objects, suspend), `waits`, `jobs`
//! (migrations, backup, restore), `records` (grace period, audit purge)
//! and `health` (the release's endpoints after a rollout). Every step
//! reads the desired state (the rendered manifests), applies it with
//! server-side apply, and waits with watches, so running it again after a
//! crash converges instead of duplicating.

mod health;
mod jobs;
mod namespace;
mod objects;
mod records;
mod waits;

pub use health::{targets as health_targets, HealthTarget};
pub use namespace::remove_namespace;

use std::time::Duration;

use app::dto::{Operation, RunOptions};

use super::{Step, StepKind};
use crate::cluster::ownership::NamespaceFound;
use crate::cluster::{self, Cluster};
use crate::error::{Result, ServerError};
use crate::manifests::Manifest;
use crate::monitoring::ClusterIndex;
use crate::store::Store;
use crate::values::StoreCredentials;

/// How a step ended when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Done(String),
    /// Finished, but something is not as it should be; the run goes on.
    Warn(String),
    /// Not yet: the run is put back and picked up again at this time (ms).
    Later(i64),
    /// This attempt failed, and the step's own limit allows another (a
    /// job's `attempts`): run it again now, whatever the console's limit.
    Again(String),
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
    /// The release's jobs after the rollout, each with its step.
    pub jobs: &'a [crate::provisioning::desired::PhaseJob],
    /// The release's health endpoints, as the tenant's plan runs it.
    pub health: &'a [HealthTarget],
    /// A step of this run warned before this one (a wait timed out): the
    /// rollout is not known healthy.
    pub rollout_warned: bool,
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
    /// The process holding the run (what its guarded writes name).
    pub owner: &'a str,
    /// The custom domain the objects were rendered with.
    pub custom_domain: Option<&'a str>,
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

pub(super) fn is_namespace_level(m: &Manifest) -> bool {
    matches!(
        m.kind.as_str(),
        "Namespace" | "ResourceQuota" | "LimitRange" | "NetworkPolicy"
    )
}

pub(super) fn is_database(m: &Manifest) -> bool {
    component(m) == "database" && m.kind != "Secret"
}

/// The tenant's configuration (the contract's `tenant-config`).
/// (The API keys' Secret, of the same component, is written with the
/// store's hashes, never as rendered.)
pub(super) fn is_config(m: &Manifest) -> bool {
    component(m) == crate::manifests::CONFIG_COMPONENT && m.kind != "Secret"
}

/// The backup script's ConfigMap and the tier's backup schedule.
pub(super) fn is_backup_setup(m: &Manifest) -> bool {
    component(m) == "backup" && m.kind != "Secret"
}

/// What the `application` step applies: the components' objects (their
/// files' ConfigMaps and volumes' claims before their Deployments, as
/// rendered), Services, routes (and their edge policy), autoscalers and
/// the certificate; not the database's or the backup's.
pub(super) fn is_application(m: &Manifest) -> bool {
    match m.kind.as_str() {
        "Deployment" | "HorizontalPodAutoscaler" | "Certificate" | "BackendTrafficPolicy" => true,
        k if crate::manifests::ROUTE_KINDS.contains(&k) => true,
        "Service" | "ConfigMap" | "PersistentVolumeClaim" => !is_database(m) && !is_backup_setup(m),
        _ => false,
    }
}

pub(super) async fn apply_where(
    ctx: &StepContext<'_>,
    keep: impl Fn(&Manifest) -> bool,
) -> Result<String> {
    let mut names = vec![];
    for m in ctx.manifests.iter().filter(|m| keep(m)) {
        cluster::apply_manifest(&ctx.cluster.client, m).await?;
        names.push(format!("{} {}", m.kind, m.name));
    }
    Ok(format!("applied {}", names.join(", ")))
}

/// Runs one step: a short dispatch to its family's file.
pub async fn execute(step: &Step, ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let writes_inside = matches!(
        step.kind,
        StepKind::Secrets
            | StepKind::RotateSecrets
            | StepKind::Database
            | StepKind::Migrate
            | StepKind::Application
    );
    if writes_inside && namespace::our_namespace(ctx).await? == NamespaceFound::Absent {
        return Err(ServerError::Conflict(format!(
            "Namespace {} does not exist: provision the tenant again to make it",
            ctx.namespace
        )));
    }
    match step.kind {
        StepKind::Namespace => namespace::claim(ctx).await,
        StepKind::Secrets => objects::secrets(ctx).await,
        StepKind::RotateSecrets => objects::rotate_secrets(ctx).await,
        StepKind::Database => objects::database(ctx).await,
        StepKind::WaitDatabase => waits::database(ctx).await,
        StepKind::Migrate => jobs::migrate(ctx).await,
        StepKind::Application => objects::application(ctx).await,
        StepKind::Wait => waits::deployment(ctx, &step.name).await,
        StepKind::Job(_) => jobs::release_job(ctx, step).await,
        StepKind::Backup => jobs::backup(ctx).await,
        StepKind::Restore => jobs::restore(ctx).await,
        StepKind::SuspendWorkloads => objects::suspend(ctx).await,
        StepKind::GracePeriod => records::grace_period(ctx).await,
        StepKind::PurgeAudit => records::purge_audit(ctx).await,
        StepKind::DeleteNamespace => namespace::delete(ctx).await,
        StepKind::Health => health::endpoints(ctx).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{
        render, Capabilities, EdgeLimits, RenderSettings, RouteApi, TenantInput,
    };

    /// The step that applies `m`, if any.
    fn applied_by(m: &Manifest) -> Option<&'static str> {
        if is_namespace_level(m) {
            Some("namespace")
        } else if m.kind == "Secret" || is_config(m) {
            Some("secrets")
        } else if is_database(m) || is_backup_setup(m) {
            Some("database")
        } else if m.kind == "Job" && component(m) == crate::manifests::MIGRATION_COMPONENT {
            Some("migrate")
        } else if is_application(m) {
            Some("application")
        } else {
            None
        }
    }

    /// Every object any seeded application renders on any of its plans,
    /// routed by Ingress or by Gateway API with Envoy Gateway's policies,
    /// is applied by a step: an object no step applies would be shown in
    /// previews and never made (as the components' ConfigMaps once were).
    #[test]
    fn every_rendered_object_has_a_step_that_applies_it() {
        let ingress = RenderSettings::default();
        let gateway = RenderSettings {
            route_api: RouteApi::Gateway,
            gateway: Some(("gateways".into(), "public".into())),
            edge_limits: EdgeLimits::EnvoyGateway,
            ..RenderSettings::default()
        };
        let caps = Capabilities {
            cnpg: true,
            hpa: Some("autoscaling/v2".into()),
            cert_manager: true,
            cronjob: Some("batch/v1".into()),
            httproute: Some("gateway.networking.k8s.io/v1".into()),
            envoy_policy: true,
        };
        let mut kinds = std::collections::BTreeSet::new();
        for seed in crate::applications::SEEDS {
            let release = crate::applications::parse_release(seed.release).expect("release");
            for plan in crate::store::plans_of(seed).expect("plans") {
                let runs = app::domain::release::for_plan(release.clone(), &plan.spec.features);
                let input = TenantInput {
                    id: "acme",
                    namespace: "tenant-acme",
                    custom_domain: None,
                    owner_email: "owner@example.com",
                    template_key: &plan.key,
                    template_version: 1,
                    tier: &plan.spec,
                    release: &runs,
                    custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
                    secrets_rotated: None,
                };
                for settings in [&ingress, &gateway] {
                    for m in render(&input, settings, &caps) {
                        assert!(
                            applied_by(&m).is_some(),
                            "no step applies {} ({})",
                            m.describe(),
                            seed.key
                        );
                        kinds.insert(m.kind);
                    }
                }
            }
        }
        for kind in [
            "BackendTrafficPolicy",
            "HTTPRoute",
            "Ingress",
            "ConfigMap",
            "Certificate",
        ] {
            assert!(kinds.contains(kind), "{kind} was not rendered: {kinds:?}");
        }
    }
}
