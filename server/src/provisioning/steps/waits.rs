//! The steps that wait for the cluster: the database, the API and web
//! Deployments (a slow application is a warning, not a failure).

use std::time::Duration;

use super::super::Step;
use super::StepContext;
use super::StepOutcome;
use crate::cluster;
use crate::error::{Result, ServerError};
use crate::monitoring::Target;

/// Waits for the database (CloudNativePG's cluster or the StatefulSet).
pub(super) async fn database(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let db = if ctx.cluster.caps.cnpg {
        Target::DbCluster("db")
    } else {
        Target::StatefulSet("db")
    };
    wait(ctx, db, "database", ctx.wait_database).await?;
    Ok(StepOutcome::Done("database ready".into()))
}

/// Waits for the API or web Deployment.
pub(super) async fn deployment(ctx: &StepContext<'_>, step: Step) -> Result<StepOutcome> {
    let name = if step == Step::WaitApi { "api" } else { "web" };
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
