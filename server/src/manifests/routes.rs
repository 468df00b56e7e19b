//! The tenant's routes: one Ingress (with TLS) serving each routed
//! component under its path on every host of the tenant, and the
//! certificate where cert-manager is served.

use serde_json::{json, Value};

use super::{metadata, Capabilities, Manifest, RenderSettings, TenantInput};

/// The Secret holding the tenant's TLS certificate (and the Certificate's name).
pub const TLS_SECRET: &str = "tenant-tls";

/// Hosts the Ingress serves: the platform subdomain, then the custom domain.
pub fn hosts(t: &TenantInput, s: &RenderSettings) -> Vec<String> {
    tenant_hosts(t.id, t.custom_domain, s)
}

/// A tenant's hosts from its ID and custom domain: what the Ingress serves
/// and what the console links.
pub fn tenant_hosts(id: &str, custom_domain: Option<&str>, s: &RenderSettings) -> Vec<String> {
    let mut hosts = vec![format!("{id}.{}", s.base_domain)];
    if let Some(d) = custom_domain {
        hosts.push(d.to_string());
    }
    hosts
}

pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    let paths: Vec<Value> = t
        .release
        .components
        .iter()
        .filter_map(|c| {
            let route = c.route.as_ref()?;
            let port = route
                .port
                .as_deref()
                .or_else(|| c.ports.first().map(|p| p.name.as_str()))?;
            Some(json!({
                "path": route.path,
                "pathType": "Prefix",
                "backend": { "service": { "name": c.name, "port": { "name": port } } },
            }))
        })
        .collect();
    if paths.is_empty() {
        return vec![];
    }
    let hosts = hosts(t, s);
    let rules: Vec<Value> = hosts
        .iter()
        .map(|h| json!({ "host": h, "http": { "paths": paths } }))
        .collect();
    let mut out = vec![];
    let mut ingress_meta = metadata(t, "tenant", ns, "ingress");
    if caps.cert_manager {
        // Rendered here, labelled, so the cluster index watches its state.
        out.push(Manifest::new(
            "cert-manager.io/v1",
            "Certificate",
            "certificates",
            TLS_SECRET,
            Some(ns),
            json!({
                "metadata": metadata(t, TLS_SECRET, ns, "certificate"),
                "spec": {
                    "secretName": TLS_SECRET,
                    "dnsNames": hosts,
                    "issuerRef": { "name": s.cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io" },
                },
            }),
        ));
    } else {
        ingress_meta["annotations"] = json!({ "cert-manager.io/cluster-issuer": s.cluster_issuer });
    }
    let mut spec = json!({ "tls": [{ "hosts": hosts, "secretName": TLS_SECRET }], "rules": rules });
    if let Some(class) = &s.ingress_class {
        spec["ingressClassName"] = json!(class);
    }
    out.push(Manifest::new(
        "networking.k8s.io/v1",
        "Ingress",
        "ingresses",
        "tenant",
        Some(ns),
        json!({ "metadata": ingress_meta, "spec": spec }),
    ));
    out
}
