//! What a tenant's namespace still holds that its release and plan no
//! longer render: a component a new release dropped (its Deployment,
//! Service, files and autoscaler), an autoscaler a plan no longer asks
//! for, the Ingress of a release without routes, the Ingress or HTTPRoute
//! of a console that moved to the other route API. Only objects Tenantry
//! labelled, of the kinds components make; never a database's, a backup's
//! or a job's object, and never a volume's claim (data leaves only through
//! deprovisioning).

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use crate::error::{Result, ServerError};
use crate::manifests::{Capabilities, Manifest, MANAGED_BY};

/// Components whose objects other steps own.
const NOT_PRUNED: &[&str] = &["database", "backup", "migration", "job"];

/// The kinds a component's objects are, as (apiVersion, kind, plural).
fn pruned_kinds(caps: &Capabilities) -> Vec<(String, &'static str, &'static str)> {
    let mut kinds = vec![
        ("apps/v1".to_string(), "Deployment", "deployments"),
        ("v1".to_string(), "Service", "services"),
        ("v1".to_string(), "ConfigMap", "configmaps"),
        ("networking.k8s.io/v1".to_string(), "Ingress", "ingresses"),
    ];
    if let Some(v) = &caps.hpa {
        kinds.push((
            v.clone(),
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
        ));
    }
    // A console that moved between Ingress and Gateway API leaves the
    // other kind of route behind otherwise.
    if let Some(v) = &caps.httproute {
        kinds.push((v.clone(), "HTTPRoute", "httproutes"));
    }
    // A plan that no longer sets edge limits leaves its policy otherwise.
    if caps.envoy_policy {
        kinds.push((
            crate::manifests::ENVOY_POLICY_API.to_string(),
            "BackendTrafficPolicy",
            "backendtrafficpolicies",
        ));
    }
    kinds
}

/// References (no body) to the labelled objects in `ns` of the kinds
/// components make that `manifests` no longer has, so each can be shown in
/// a diff and deleted.
pub async fn stale_objects(
    client: &kube::Client,
    caps: &Capabilities,
    manifests: &[Manifest],
    ns: &str,
) -> Result<Vec<Manifest>> {
    let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    let mut out = vec![];
    for (api_version, kind, plural) in pruned_kinds(caps) {
        let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
        let ar =
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
        let list = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| ServerError::kube_on(&format!("{plural} in {ns}"), e))?;
        for o in list.items {
            let Some(name) = o.metadata.name.clone() else {
                continue;
            };
            let component = o
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("app.kubernetes.io/component"))
                .map(String::as_str)
                .unwrap_or("");
            let rendered = manifests.iter().any(|m| m.kind == kind && m.name == name);
            if rendered || NOT_PRUNED.contains(&component) {
                continue;
            }
            out.push(Manifest::new(
                &api_version,
                kind,
                plural,
                &name,
                Some(ns),
                serde_json::json!({}),
            ));
        }
    }
    Ok(out)
}
