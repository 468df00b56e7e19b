//! The namespace and its guard rails: quota, default limits, network
//! isolation, and the (valueless) Secrets generated at first creation.

use app::dto::{Alphabet, DatabaseKind};
use serde_json::{json, Value};

use super::{
    gibibytes, labels, mebibytes, metadata, millicores, Manifest, RenderSettings, TenantInput,
    DB_SECRET,
};

/// How a key of a generated Secret is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Generate {
    /// Known when rendering (a database user's name).
    Fixed(String),
    Random {
        length: u32,
        alphabet: Alphabet,
    },
}

fn random(length: u32) -> Generate {
    Generate::Random {
        length,
        alphabet: Alphabet::Alphanumeric,
    }
}

pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &super::Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    let tier = t.tier;
    let mut ns_labels = labels(t, "namespace");
    for (k, v) in super::security::namespace_labels(t.release.pod_security) {
        ns_labels[k] = json!(v);
    }
    let mut out = vec![
        Manifest::new(
            "v1",
            "Namespace",
            "namespaces",
            ns,
            None,
            json!({
                "metadata": { "name": ns, "labels": ns_labels },
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
        // Only pods of this namespace and the ingress controller may connect
        // in (other tenants' namespaces are denied); out, pods reach only
        // this namespace (the tenant's own database and services) and DNS.
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
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{ "from": [
                        { "podSelector": {} },
                        { "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": s.edge_namespace(caps) } } },
                    ]}],
                    "egress": [
                        { "to": [{ "podSelector": {} }] },
                        { "to": [{ "namespaceSelector": {} }], "ports": [
                            { "port": 53, "protocol": "UDP" },
                            { "port": 53, "protocol": "TCP" },
                        ]},
                    ],
                },
            }),
        ),
    ];
    out.extend(egress(t, ns));
    let db = &t.release.database;
    if db.kind != DatabaseKind::None {
        let user = Generate::Fixed(db.name().into());
        out.push(generated(
            t,
            ns,
            (DB_SECRET, "database"),
            vec![("username".into(), user), ("password".into(), random(32))],
        ));
    }
    for sec in &t.release.secrets {
        let keys = sec
            .keys
            .iter()
            .map(|k| {
                let how = Generate::Random {
                    length: k.length,
                    alphabet: k.alphabet,
                };
                (k.key.clone(), how)
            })
            .collect();
        out.push(generated(t, ns, (&sec.name, "application"), keys));
    }
    if let Some(name) = app::domain::release::contract::tenant_admin(t.release, t.owner_email) {
        use app::domain::release::contract::ADMIN_SECRET;
        let user = Generate::Fixed(name);
        out.push(generated(
            t,
            ns,
            (ADMIN_SECRET, "application"),
            vec![("username".into(), user), ("password".into(), random(20))],
        ));
    }
    out
}

/// A Secret generated once: keys without values, and how each is made.
pub(super) fn generated(
    t: &TenantInput,
    ns: &str,
    (name, component): (&str, &str),
    keys: Vec<(String, Generate)>,
) -> Manifest {
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    let mut m = secret(t, ns, name, component, &names);
    m.generated = keys;
    m
}

/// The database superuser's Secret (`user` with a random password).
pub(super) fn superuser(t: &TenantInput, ns: &str, name: &str, user: &str) -> Manifest {
    generated(
        t,
        ns,
        (name, "database"),
        vec![
            ("username".into(), Generate::Fixed(user.into())),
            ("password".into(), random(32)),
        ],
    )
}

/// The plan feature that lets the application reach anything outside the
/// cluster (external APIs); without it only backups (the object store) and
/// CloudNativePG's instances (the API server, their object store) may.
pub const EGRESS_FEATURE: &str = "egress";

/// What may leave the namespace beyond it and DNS: backup and restore
/// Jobs (to the object store), CloudNativePG's instances (the API server
/// and their object store; no pod matches without CloudNativePG), and every
/// pod where the plan has the `egress` feature.
fn egress(t: &TenantInput, ns: &str) -> [Manifest; 2] {
    let selector = if t.tier.features.iter().any(|f| f == EGRESS_FEATURE) {
        json!({})
    } else {
        json!({ "matchExpressions": [
            { "key": "app.kubernetes.io/component", "operator": "In", "values": ["backup"] },
        ]})
    };
    let policy = |name: &str, selector: Value| {
        Manifest::new(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "networkpolicies",
            name,
            Some(ns),
            json!({
                "metadata": metadata(t, name, ns, "network"),
                "spec": { "podSelector": selector, "policyTypes": ["Egress"], "egress": [{}] },
            }),
        )
    };
    [
        policy("tenant-egress", selector),
        policy(
            "database-egress",
            json!({ "matchExpressions": [{ "key": "cnpg.io/cluster", "operator": "Exists" }] }),
        ),
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
