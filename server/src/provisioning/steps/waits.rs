//! The steps that wait for the cluster: the database, and each
//! component's Deployment (a slow application is a warning, not a failure).

use std::time::Duration;

use super::StepContext;
use super::StepOutcome;
use crate::cluster;
use crate::error::{Result, ServerError};
use crate::monitoring::Target;

/// Waits for the database (CloudNativePG's cluster or the StatefulSet).
pub(super) async fn database(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    if !ctx.manifests.iter().any(super::is_database) {
        return Ok(StepOutcome::Done("the release has no database".into()));
    }
    let db = if ctx.cluster.caps.cnpg {
        Target::DbCluster("db")
    } else {
        Target::StatefulSet("db")
    };
    wait(ctx, db, "database", ctx.wait_database).await?;
    Ok(StepOutcome::Done("database ready".into()))
}

/// Waits for one component's Deployment.
pub(super) async fn deployment(ctx: &StepContext<'_>, name: &str) -> Result<StepOutcome> {
    let ours = ctx
        .manifests
        .iter()
        .any(|m| m.kind == "Deployment" && m.name == name);
    if !ours {
        return Ok(StepOutcome::Done(format!(
            "the release has no component \"{name}\" any more"
        )));
    }
    match wait(ctx, Target::Deployment(name), name, ctx.wait_application).await {
        Ok(()) => Ok(StepOutcome::Done(format!("{name} ready"))),
        Err(ServerError::Wait(reason)) => Ok(StepOutcome::Warn(reason)),
        Err(e) => Err(e),
    }
}

/// Waits for `target` in the tenant's namespace (see `cluster::wait_ready`).
pub(super) async fn wait(
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
