//! The namespace steps: claim it (and bind the console in it) with its
//! namespace-level objects; remove it, Tenantry's only, on deprovisioning.

use std::time::Duration;

use super::StepOutcome;
use super::{apply_where, is_namespace_level, StepContext};
use crate::cluster::ownership::{self, NamespaceFound};
use crate::cluster::{self, Cluster, TenantNamespace};
use crate::error::{Result, ServerError};
use crate::store::{NamespaceRecord, Store};
use app::dto::Operation;

/// Claims the namespace (the nonce on the row first) and applies what
/// belongs to it as a whole.
pub(super) async fn claim(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let ns = ctx.namespace;
    let wanted = ctx
        .manifests
        .iter()
        .find(|m| m.kind == "Namespace")
        .ok_or_else(|| ServerError::Config("no Namespace rendered".into()))?;
    // The nonce is on the row before the create, so a crash right
    // after it still finds the namespace Tenantry made.
    let rec = ctx.store.namespace_nonce(ctx.tenant_id).await?;
    let uid =
        ownership::claim_namespace(client, wanted, &target(&rec, (ctx.tenant_id, ns))).await?;
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

/// Removes the namespace; a clean-up never removes one that was live.
pub(super) async fn delete(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let ns = ctx.namespace;
    // Checked again as the run executes: a clean-up queued before
    // the tenant went live never removes its data.
    if ctx.operation == Operation::Cleanup && ctx.store.get_tenant(ctx.tenant_id).await?.ever_live()
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
pub(super) async fn our_namespace(ctx: &StepContext<'_>) -> Result<NamespaceFound> {
    let rec = ctx.store.namespace_record(ctx.tenant_id).await?;
    ownership::inspect(
        &ctx.cluster.client,
        &target(&rec, (ctx.tenant_id, ctx.namespace)),
    )
    .await
}

/// Whether the namespace is Tenantry's, exists and is not already being
/// removed (nothing can be created in a terminating namespace).
pub(super) async fn namespace_usable(ctx: &StepContext<'_>) -> Result<bool> {
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
