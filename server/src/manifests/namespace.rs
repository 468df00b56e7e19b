//! The namespace and its guard rails: quota, default limits, network
//! isolation, and the (valueless) Secrets generated at first creation.

use serde_json::{json, Value};

use super::{
    gibibytes, labels, mebibytes, metadata, millicores, Manifest, RenderSettings, TenantInput,
    APP_SECRET, DB_SECRET,
};

pub(super) fn render(t: &TenantInput, s: &RenderSettings, ns: &str) -> Vec<Manifest> {
    let tier = t.tier;
    vec![
        Manifest::new(
            "v1",
            "Namespace",
            "namespaces",
            ns,
            None,
            json!({
                "metadata": { "name": ns, "labels": labels(t, "namespace") },
            }),
        ),
        Manifest::new(
            "v1",
            "ResourceQuota",
            "resourcequotas",
            "tenant-quota",
            Some(ns),
            json!({
                "metadata": metadata(t, "tenant-quota", ns, "quota"),
                "spec": { "hard": {
                    "requests.cpu": millicores(tier.quota_cpu_m),
                    "limits.cpu": millicores(tier.quota_cpu_m),
                    "requests.memory": mebibytes(tier.quota_memory_mi),
                    "limits.memory": mebibytes(tier.quota_memory_mi),
                    "requests.storage": gibibytes(tier.quota_storage_gi),
                    "pods": tier.quota_pods.to_string(),
                }},
            }),
        ),
        Manifest::new(
            "v1",
            "LimitRange",
            "limitranges",
            "tenant-limits",
            Some(ns),
            json!({
                "metadata": metadata(t, "tenant-limits", ns, "limits"),
                "spec": { "limits": [{
                    "type": "Container",
                    "default": { "cpu": millicores(tier.cpu_limit_m), "memory": mebibytes(tier.memory_limit_mi) },
                    "defaultRequest": { "cpu": millicores(tier.cpu_request_m), "memory": mebibytes(tier.memory_request_mi) },
                }]},
            }),
        ),
        // Only pods of this namespace and the ingress controller may connect:
        // other tenants' namespaces are denied.
        Manifest::new(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "networkpolicies",
            "tenant-isolation",
            Some(ns),
            json!({
                "metadata": metadata(t, "tenant-isolation", ns, "network"),
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [{ "from": [
                        { "podSelector": {} },
                        { "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": s.ingress_namespace } } },
                    ]}],
                },
            }),
        ),
        secret(t, ns, DB_SECRET, "database", &["username", "password"]),
        secret(t, ns, APP_SECRET, "application", &["jwt-secret"]),
    ]
}

/// A Secret as the dry-run shows it: keys without values. The real values
/// are generated once by the provisioning step and never re-applied.
pub(super) fn secret(
    t: &TenantInput,
    ns: &str,
    name: &str,
    component: &str,
    keys: &[&str],
) -> Manifest {
    let data: serde_json::Map<String, Value> = keys
        .iter()
        .map(|k| (k.to_string(), json!("<generated once>")))
        .collect();
    Manifest::new(
        "v1",
        "Secret",
        "secrets",
        name,
        Some(ns),
        json!({
            "metadata": metadata(t, name, ns, component),
            "type": "Opaque",
            "stringData": data,
        }),
    )
}
