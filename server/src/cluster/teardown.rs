//! Removing a tenant's namespace, and saying by name what holds it when it
//! does not go (an object with a finalizer, a stuck namespace).

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service,
};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::Resource;

use crate::error::{Result, ServerError};

/// Why a teardown did not finish: each entry names an object and what holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeardownBlocked(pub Vec<String>);

/// Lists the `K` objects in `ns` that finalizers hold; with `strip`, removes
/// those finalizers (an admin's force) and says so.
async fn held_by_finalizers<K>(client: &kube::Client, ns: &str, strip: bool, out: &mut Vec<String>)
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = api.list(&ListParams::default()).await {
        for obj in list.items {
            let meta = obj.meta();
            if let Some(f) = meta.finalizers.as_ref().filter(|f| !f.is_empty()) {
                let kind = K::kind(&K::DynamicType::default()).to_string();
                let name = meta.name.clone().unwrap_or_default();
                if !strip {
                    out.push(format!(
                        "{kind} {ns}/{name} is held by finalizer(s) {}",
                        f.join(", ")
                    ));
                    continue;
                }
                let patch = serde_json::json!({ "metadata": { "finalizers": null } });
                match api
                    .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    Ok(_) => out.push(format!(
                        "forced: removed finalizer(s) {} from {kind} {ns}/{name}",
                        f.join(", ")
                    )),
                    Err(e) => out.push(format!(
                        "could not remove finalizer(s) {} from {kind} {ns}/{name}: {}",
                        f.join(", "),
                        crate::error::describe_kube_error(&e)
                    )),
                }
            }
        }
    }
}

/// What keeps a namespace from going away (with `strip`, after removing
/// the finalizers that did).
async fn blockers(client: &kube::Client, ns: &str, strip: bool) -> Vec<String> {
    let mut out = vec![];
    held_by_finalizers::<ConfigMap>(client, ns, strip, &mut out).await;
    held_by_finalizers::<Secret>(client, ns, strip, &mut out).await;
    held_by_finalizers::<Service>(client, ns, strip, &mut out).await;
    held_by_finalizers::<Pod>(client, ns, strip, &mut out).await;
    held_by_finalizers::<PersistentVolumeClaim>(client, ns, strip, &mut out).await;
    held_by_finalizers::<Deployment>(client, ns, strip, &mut out).await;
    held_by_finalizers::<StatefulSet>(client, ns, strip, &mut out).await;
    held_by_finalizers::<Job>(client, ns, strip, &mut out).await;
    if strip {
        return out;
    }
    let nss: Api<Namespace> = Api::all(client.clone());
    if let Ok(n) = nss.get(ns).await {
        for c in n.status.and_then(|s| s.conditions).unwrap_or_default() {
            if c.status == "True" && c.type_ != "NamespaceDeletionDiscoveryFailure" {
                if let Some(m) = c.message {
                    out.push(format!("Namespace {ns}: {} — {m}", c.type_));
                }
            }
        }
    }
    out
}

/// Deletes the namespace and waits until it is gone. Absent already is fine.
pub async fn delete_namespace(client: &kube::Client, ns: &str, timeout: Duration) -> Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let uid = match api
        .get_opt(ns)
        .await
        .map_err(|e| ServerError::kube_on(&format!("Namespace {ns}"), e))?
    {
        None => return Ok(()),
        Some(n) => n.metadata.uid.unwrap_or_default(),
    };
    match api.delete(ns, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
        Err(e) => return Err(ServerError::kube_on(&format!("Namespace {ns}"), e)),
    }
    match tokio::time::timeout(
        timeout,
        await_condition(api, ns, conditions::is_deleted(&uid)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(ServerError::Wait(format!(
            "watching Namespace {ns} failed: {e}"
        ))),
        Err(_) => {
            let held = blockers(client, ns, false).await;
            Err(ServerError::Blocked {
                what: format!(
                    "Namespace {ns} was not removed after {}s",
                    timeout.as_secs()
                ),
                held: TeardownBlocked(held),
            })
        }
    }
}

/// An admin's force: deletes the namespace and, when finalizers hold it,
/// removes them and waits again. Returns what was removed, for the log.
pub async fn force_delete_namespace(
    client: &kube::Client,
    ns: &str,
    timeout: Duration,
) -> Result<Vec<String>> {
    match delete_namespace(client, ns, timeout).await {
        Err(ServerError::Blocked { .. }) => {
            let removed = blockers(client, ns, true).await;
            delete_namespace(client, ns, timeout).await?;
            Ok(removed)
        }
        other => other.map(|()| vec![]),
    }
}
