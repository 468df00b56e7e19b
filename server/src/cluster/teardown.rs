//! Removing a tenant's namespace, and saying by name what holds it when it
//! does not go (an object with a finalizer, a stuck namespace). Only a
//! namespace that is Tenantry's (see `ownership`) is deleted, and only the
//! very object judged (a UID precondition); a force strips finalizers only
//! from objects Tenantry labelled and names the others.

pub use crate::error::TeardownBlocked;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, Preconditions};
use kube::runtime::wait::{await_condition, conditions, Condition};
use kube::Resource;

use super::access;
use super::ownership::{inspect, labelled_for, manager_of, NamespaceFound};
use crate::error::{Result, ServerError};

/// A tenant's namespace as its row knows it.
#[derive(Clone, Copy, Debug)]
pub struct TenantNamespace<'a> {
    pub name: &'a str,
    pub tenant: &'a str,
    /// The UID of the namespace Tenantry created, when remembered.
    pub uid: Option<&'a str>,
    /// The claim nonce written on the row before the namespace was created.
    pub nonce: Option<&'a str>,
}

/// Lists the `K` objects in `ns` that finalizers hold; with `strip`, removes
/// those finalizers (an admin's force) from the objects Tenantry labelled for
/// `tenant`, and says so; the others are named and left as they are.
async fn held_by_finalizers<K>(
    client: &kube::Client,
    (ns, tenant): (&str, &str),
    strip: bool,
    out: &mut Vec<String>,
) where
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
                if !labelled_for(meta, tenant) {
                    out.push(format!(
                        "{kind} {ns}/{name} is held by finalizer(s) {} and is not Tenantry's \
                         (managed by {}): left as it is",
                        f.join(", "),
                        manager_of(meta)
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
async fn blockers(client: &kube::Client, t: &TenantNamespace<'_>, strip: bool) -> Vec<String> {
    let mut out = vec![];
    let at = (t.name, t.tenant);
    // Not ConfigMaps or Secrets: listing those would need the right to read
    // every one in the cluster; the namespace's own conditions (below) still
    // name any finalizer left on them.
    held_by_finalizers::<Service>(client, at, strip, &mut out).await;
    held_by_finalizers::<Pod>(client, at, strip, &mut out).await;
    held_by_finalizers::<PersistentVolumeClaim>(client, at, strip, &mut out).await;
    held_by_finalizers::<Deployment>(client, at, strip, &mut out).await;
    held_by_finalizers::<StatefulSet>(client, at, strip, &mut out).await;
    held_by_finalizers::<Job>(client, at, strip, &mut out).await;
    let ns = t.name;
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

/// Deletes the tenant's namespace, if it is Tenantry's, and waits until it
/// is gone. Absent already is fine; anyone else's is refused.
pub async fn delete_namespace(
    client: &kube::Client,
    t: &TenantNamespace<'_>,
    timeout: Duration,
) -> Result<()> {
    let ns = t.name;
    let api: Api<Namespace> = Api::all(client.clone());
    let (uid, terminating) = match inspect(client, t).await? {
        NamespaceFound::Absent => return Ok(()),
        NamespaceFound::Ours { uid, terminating } => (uid, terminating),
    };
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some(uid.clone()),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    // Deleted already (an earlier attempt): only wait. Asking again would
    // need the rights a let-go binding no longer gives.
    let asked = if terminating {
        Ok(None)
    } else {
        api.delete(ns, &params).await.map(Some)
    };
    match asked {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            return Err(ServerError::NotOurs(format!(
            "Namespace {ns} was replaced by another of the same name while it was being removed \
                 ({}); Tenantry will not delete the new one",
            e.message
        )))
        }
        Err(e) => return Err(ServerError::kube_on(&format!("Namespace {ns}"), e)),
    }
    match tokio::time::timeout(timeout, gone_or_only_our_hold(client, ns, &uid)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ServerError::Wait(format!(
            "watching Namespace {ns} failed: {e}"
        ))),
        Err(_) => {
            let held = blockers(client, t, false).await;
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

/// Waits until the namespace is gone; when the console's binding is the
/// last thing holding it, lets that go first (see `access`).
async fn gone_or_only_our_hold(
    client: &kube::Client,
    ns: &str,
    uid: &str,
) -> std::result::Result<(), kube::runtime::wait::Error> {
    let api: Api<Namespace> = Api::all(client.clone());
    let deleted = conditions::is_deleted(uid);
    let held = await_condition(api.clone(), ns, move |n: Option<&Namespace>| {
        deleted.matches_object(n) || n.is_some_and(access::only_our_hold_left)
    })
    .await?;
    if held.is_some_and(|n| n.metadata.uid.as_deref() == Some(uid)) {
        if let Err(e) = access::release(client, ns).await {
            tracing::warn!(error = %e, "the namespace's RoleBinding");
        }
        await_condition(api, ns, conditions::is_deleted(uid)).await?;
    }
    Ok(())
}

/// An admin's force: deletes the namespace and, when finalizers hold it,
/// removes those of Tenantry's objects and waits again. Returns what was
/// removed, for the log; what still blocks (objects that are not
/// Tenantry's) is named in the error.
pub async fn force_delete_namespace(
    client: &kube::Client,
    t: &TenantNamespace<'_>,
    timeout: Duration,
) -> Result<Vec<String>> {
    match delete_namespace(client, t, timeout).await {
        Err(ServerError::Blocked { .. }) => {
            let removed = blockers(client, t, true).await;
            match delete_namespace(client, t, timeout).await {
                Ok(()) => Ok(removed),
                Err(ServerError::Blocked { what, held }) => {
                    // What was stripped and what was left is named already;
                    // add only what the namespace itself reports.
                    let mut all = removed;
                    all.extend(held.0.into_iter().filter(|h| h.starts_with("Namespace ")));
                    Err(ServerError::Blocked {
                        what,
                        held: TeardownBlocked(all),
                    })
                }
                Err(e) => Err(e),
            }
        }
        other => other.map(|()| vec![]),
    }
}
