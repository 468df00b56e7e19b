//! Server-side apply of rendered manifests: idempotent, one field manager,
//! (list keys such as a port's `protocol` must be explicit in the manifests:
//! Kubernetes 1.20 rejects an apply that omits them),
//! forced so Tenantry's fields always win over a hand edit.

use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::runtime::wait::{await_condition, conditions};

use super::FIELD_MANAGER;
use crate::error::{Result, ServerError};
use crate::manifests::Manifest;

fn api_for(client: &kube::Client, m: &Manifest) -> Api<DynamicObject> {
    let (group, version) = m
        .api_version
        .split_once('/')
        .unwrap_or(("", m.api_version.as_str()));
    let gvk = GroupVersionKind::gvk(group, version, &m.kind);
    let ar = ApiResource::from_gvk_with_plural(&gvk, &m.plural);
    match &m.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

/// Applies one manifest; the error names the object. A StatefulSet whose
/// immutable fields changed (a larger volume on a tier upgrade) is replaced
/// without touching its pods or volumes, and its bound claims are expanded.
pub async fn apply_manifest(client: &kube::Client, m: &Manifest) -> Result<DynamicObject> {
    let obj: DynamicObject = serde_json::from_value(m.body.clone())
        .map_err(|e| ServerError::Config(format!("{} is not a valid object: {e}", m.describe())))?;
    let api = api_for(client, m);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    match api.patch(&m.name, &params, &Patch::Apply(&obj)).await {
        Err(kube::Error::Api(e))
            if m.kind == "StatefulSet" && e.code == 422 && e.message.contains("Forbidden") =>
        {
            replace_statefulset(client, m).await?;
            api.patch(&m.name, &params, &Patch::Apply(&obj))
                .await
                .map_err(|e| ServerError::kube_on(&m.describe(), e))
        }
        other => other.map_err(|e| ServerError::kube_on(&m.describe(), e)),
    }
}

/// Asks the API server whether it would accept `m` (a server-side apply
/// under Tenantry's field manager, dry-run: admission and validation run,
/// nothing is stored); the error names the object and the server's reason.
pub async fn dry_run_manifest(client: &kube::Client, m: &Manifest) -> Result<DynamicObject> {
    let obj: DynamicObject = serde_json::from_value(m.body.clone())
        .map_err(|e| ServerError::Config(format!("{} is not a valid object: {e}", m.describe())))?;
    let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
    api_for(client, m)
        .patch(&m.name, &params, &Patch::Apply(&obj))
        .await
        .map_err(|e| ServerError::kube_on(&m.describe(), e))
}

/// Deletes a StatefulSet with orphan propagation (pods and claims stay),
/// waits until it is gone, and asks bound claims for the new size.
async fn replace_statefulset(client: &kube::Client, m: &Manifest) -> Result<()> {
    let ns = m.namespace.clone().unwrap_or_default();
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
    let Some(live) = sets
        .get_opt(&m.name)
        .await
        .map_err(|e| ServerError::kube_on(&m.describe(), e))?
    else {
        return Ok(());
    };
    let uid = live.metadata.uid.clone().unwrap_or_default();
    sets.delete(
        &m.name,
        &DeleteParams {
            propagation_policy: Some(kube::api::PropagationPolicy::Orphan),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| ServerError::kube_on(&m.describe(), e))?;
    tokio::time::timeout(
        Duration::from_secs(60),
        await_condition(sets, &m.name, conditions::is_deleted(&uid)),
    )
    .await
    .map_err(|_| ServerError::Wait(format!("{} was not replaced within 60s", m.describe())))?
    .map_err(|e| ServerError::Wait(format!("watching {} failed: {e}", m.describe())))?;
    let size = m.body["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]
        ["storage"]
        .clone();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    let selector = format!(
        "app.kubernetes.io/component=database,{}={}",
        crate::manifests::TENANT_LABEL,
        m.body["metadata"]["labels"][crate::manifests::TENANT_LABEL]
            .as_str()
            .unwrap_or_default()
    );
    for pvc in claims
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| ServerError::kube_on(&format!("claims in {ns}"), e))?
        .items
    {
        let bound = pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
        let name = pvc.metadata.name.clone().unwrap_or_default();
        if bound {
            let patch =
                serde_json::json!({ "spec": { "resources": { "requests": { "storage": size } } } });
            claims
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| {
                    ServerError::kube_on(&format!("PersistentVolumeClaim {ns}/{name}"), e)
                })?;
        } else {
            tracing::info!(claim = %name, "claim not bound yet; it will be created at the new size");
        }
    }
    Ok(())
}

/// Applies manifests in order (namespace first), skipping Secrets: those are
/// generated once by [`super::ensure_tenant_secrets`], never re-applied.
pub async fn apply_all(
    client: &kube::Client,
    manifests: &[crate::manifests::Manifest],
) -> Result<usize> {
    let mut applied = 0;
    for m in manifests.iter().filter(|m| m.kind != "Secret") {
        apply_manifest(client, m).await?;
        applied += 1;
    }
    Ok(applied)
}

/// Deletes the object a manifest names; already gone is fine.
pub async fn delete_manifest(client: &kube::Client, m: &Manifest) -> Result<()> {
    match api_for(client, m)
        .delete(&m.name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(ServerError::kube_on(&m.describe(), e)),
    }
}

/// The live object a manifest describes, if it exists (for dry-run diffs).
pub async fn get_live(client: &kube::Client, m: &Manifest) -> Result<Option<serde_json::Value>> {
    let live = api_for(client, m)
        .get_opt(&m.name)
        .await
        .map_err(|e| ServerError::kube_on(&m.describe(), e))?;
    live.map(|o| serde_json::to_value(o).map_err(|e| ServerError::Config(e.to_string())))
        .transpose()
}
