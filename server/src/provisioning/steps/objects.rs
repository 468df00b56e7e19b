//! The steps that apply the rendered objects: generated Secrets, the
//! database, the application (and what a tier no longer asks for), and
//! suspending the workloads.

use super::namespace::namespace_usable;
use super::StepOutcome;
use super::{apply_where, is_application, is_backup_setup, is_database, StepContext};
use crate::cluster;
use crate::cluster::prune;
use crate::error::Result;
use crate::manifests::stale_backup_objects;

/// Generates the tenant's Secrets once (kept after), copies the backup
/// store's key, writes the API keys' hashes and applies the tenant's
/// configuration.
pub(super) async fn secrets(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let made = cluster::ensure_tenant_secrets(client, ctx.manifests).await?;
    let mut text: Vec<String> = made
        .iter()
        .map(|(name, created)| format!("{name} {}", if *created { "generated" } else { "kept" }))
        .collect();
    // CloudNativePG's object store reads the store's key from here.
    if let Some(name) =
        cluster::apply_store_secret(client, ctx.manifests, ctx.store_credentials).await?
    {
        text.push(format!("{name} copied"));
    }
    // The API keys' hashes, from the store (a key not issued yet is an
    // empty file: no caller gets in with it).
    let hashes = ctx.store.api_key_hashes(ctx.tenant_id).await?;
    if let Some(name) = cluster::apply_api_key_hashes(client, ctx.manifests, &hashes).await? {
        text.push(format!("{name} applied"));
    }
    // The tenant's configuration, before any job or component mounts it.
    for m in ctx.manifests.iter().filter(|m| super::is_config(m)) {
        cluster::apply_manifest(client, m).await?;
        text.push(format!("{} {} applied", m.kind, m.name));
    }
    Ok(StepOutcome::Done(text.join(", ")))
}

/// The Secrets a rotation names, made anew (see
/// `app::domain::release::rotation`), and remembered for their one showing.
/// A retry after a crash makes them anew again: nobody has seen them yet.
pub(super) async fn rotate_secrets(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    for name in &ctx.options.rotate {
        cluster::rotate_secret(&ctx.cluster.client, ctx.manifests, (ctx.tenant_id, name)).await?;
    }
    ctx.store
        .note_rotated(ctx.tenant_id, &ctx.options.rotate)
        .await?;
    Ok(StepOutcome::Done(format!(
        "{} generated anew",
        ctx.options.rotate.join(", ")
    )))
}

/// The database and its backup setup; backup objects a tier no longer
/// asks for are removed.
pub(super) async fn database(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let ns = ctx.namespace;
    let mut line = apply_where(ctx, |m| is_database(m) || is_backup_setup(m)).await?;
    for stale in stale_backup_objects(ctx.manifests, &ctx.cluster.caps, ns) {
        if cluster::get_live(client, &stale).await?.is_some() {
            cluster::delete_manifest(client, &stale).await?;
            line.push_str(&format!("; {} {} removed", stale.kind, stale.name));
        }
    }
    Ok(StepOutcome::Done(line))
}

/// The application's objects; what the release or plan no longer renders
/// (a dropped component's objects, an autoscaler, an unrouted Ingress)
/// goes.
pub(super) async fn application(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let mut line = apply_where(ctx, is_application).await?;
    let client = &ctx.cluster.client;
    let stale =
        prune::stale_objects(client, &ctx.cluster.caps, ctx.manifests, ctx.namespace).await?;
    for m in &stale {
        cluster::delete_manifest(client, m).await?;
        line.push_str(&format!("; {} {} removed", m.kind, m.name));
    }
    // The hosts its routes serve from now on (what its URLs list).
    ctx.store
        .serve_domain((ctx.run_id, ctx.owner), ctx.custom_domain)
        .await?;
    Ok(StepOutcome::Done(line))
}

/// Scales the Deployments to zero and removes the routes and autoscaler.
pub(super) async fn suspend(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let client = &ctx.cluster.client;
    let ns = ctx.namespace;
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
            k if k == "HorizontalPodAutoscaler" || crate::manifests::ROUTE_KINDS.contains(&k) => {
                cluster::delete_manifest(client, m).await?;
                done.push(format!("{} {} removed", m.kind, m.name));
            }
            _ => {}
        }
    }
    Ok(StepOutcome::Done(done.join(", ")))
}
