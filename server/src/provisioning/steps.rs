//! What each step does. Every step reads the desired state (the rendered
//! manifests), applies it with server-side apply, and waits with watches, so
//! running it again after a crash converges instead of duplicating.

use std::time::Duration;

use super::Step;
use crate::cluster::{self, Cluster};
use crate::error::{Result, ServerError};
use crate::manifests::{migration_job, Manifest};

/// How a step ended when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Done(String),
    /// Finished, but something is not as it should be; the run goes on.
    Warn(String),
}

/// What a step works on.
pub struct StepContext<'a> {
    pub cluster: &'a Cluster,
    pub manifests: &'a [Manifest],
    pub namespace: &'a str,
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

fn is_application(m: &Manifest) -> bool {
    matches!(
        m.kind.as_str(),
        "Deployment" | "Ingress" | "HorizontalPodAutoscaler"
    ) || (m.kind == "Service" && !is_database(m))
}

async fn apply_where(ctx: &StepContext<'_>, keep: impl Fn(&Manifest) -> bool) -> Result<String> {
    let mut names = vec![];
    for m in ctx.manifests.iter().filter(|m| keep(m)) {
        cluster::apply_manifest(&ctx.cluster.client, m).await?;
        names.push(format!("{} {}", m.kind, m.name));
    }
    Ok(format!("applied {}", names.join(", ")))
}

pub async fn execute(step: Step, ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let ns = ctx.namespace;
    match step {
        Step::Namespace => Ok(StepOutcome::Done(
            apply_where(ctx, is_namespace_level).await?,
        )),
        Step::Secrets => {
            let made = cluster::ensure_tenant_secrets(client, ctx.manifests).await?;
            let text: Vec<String> = made
                .iter()
                .map(|(name, created)| {
                    format!("{name} {}", if *created { "generated" } else { "kept" })
                })
                .collect();
            Ok(StepOutcome::Done(text.join(", ")))
        }
        Step::Database => Ok(StepOutcome::Done(apply_where(ctx, is_database).await?)),
        Step::WaitDatabase => {
            if ctx.cluster.caps.cnpg {
                cluster::wait_cnpg_ready(client, ns, "db", ctx.wait_database).await?;
            } else {
                cluster::wait_statefulset_ready(client, ns, "db", ctx.wait_database).await?;
            }
            Ok(StepOutcome::Done("database ready".into()))
        }
        Step::Migrate => {
            let job = migration_job(ctx.manifests)
                .ok_or_else(|| ServerError::Config("no migration Job rendered".into()))?;
            cluster::apply_manifest(client, job).await?;
            cluster::wait_job_complete(client, ns, &job.name, ctx.wait_database).await?;
            Ok(StepOutcome::Done(format!("Job {} completed", job.name)))
        }
        Step::Application => Ok(StepOutcome::Done(apply_where(ctx, is_application).await?)),
        Step::WaitApi | Step::WaitWeb => {
            let name = if step == Step::WaitApi { "api" } else { "web" };
            match cluster::wait_deployment_ready(client, ns, name, ctx.wait_application).await {
                Ok(()) => Ok(StepOutcome::Done(format!("{name} ready"))),
                Err(ServerError::Wait(reason)) => Ok(StepOutcome::Warn(reason)),
                Err(e) => Err(e),
            }
        }
        Step::SuspendWorkloads => {
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
            cluster::delete_namespace(client, ns, ctx.wait_teardown).await?;
            Ok(StepOutcome::Done(format!("namespace {ns} removed")))
        }
    }
}
