//! The application: API and web Deployments with Services, the database
//! migration Job, the Ingress with TLS, and an HPA where the tier asks.

use serde_json::{json, Value};

use super::parts::{db_host, hashed_job, DB_NAME};
use super::security::{restricted, APP_UID};
use super::{
    container_resources, metadata, pod_labels, Capabilities, Manifest, RenderSettings, TenantInput,
    APP_SECRET, DB_SECRET,
};

/// The tier feature that turns on autoscaling of the API.
pub const AUTOSCALING_FEATURE: &str = "autoscaling";

pub(super) fn app_env(t: &TenantInput, caps: &Capabilities) -> Value {
    let from = |secret: &str, key: &str| json!({ "secretKeyRef": { "name": secret, "key": key } });
    json!([
        { "name": "TENANT_ID", "value": t.id },
        { "name": "DATABASE_HOST", "value": db_host(caps) },
        { "name": "DATABASE_NAME", "value": DB_NAME },
        { "name": "DATABASE_USER", "valueFrom": from(DB_SECRET, "username") },
        { "name": "DATABASE_PASSWORD", "valueFrom": from(DB_SECRET, "password") },
        { "name": "JWT_SECRET", "valueFrom": from(APP_SECRET, "jwt-secret") },
        { "name": "USER_LIMIT", "value": t.tier.user_limit.map(|u| u.to_string()).unwrap_or_else(|| "unlimited".into()) },
    ])
}

/// One of the tenant's HTTP workloads.
struct Workload<'a> {
    name: &'a str,
    image: &'a str,
    port: u16,
    replicas: u32,
}

fn deployment(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
    w: Workload,
) -> Manifest {
    let Workload {
        name,
        image,
        port,
        replicas,
    } = w;
    let selector = json!({ "app.kubernetes.io/component": name, "tenantry.io/tenant": t.id });
    let meta = metadata(t, name, ns, name);
    Manifest::new(
        "apps/v1",
        "Deployment",
        "deployments",
        name,
        Some(ns),
        json!({
            "metadata": meta.clone(),
            "spec": {
                "replicas": replicas,
                "selector": { "matchLabels": selector },
                "template": {
                    "metadata": { "labels": pod_labels(t, name) },
                    "spec": restricted(json!({ "containers": [{
                        "name": name,
                        "image": s.image(image),
                        "ports": [{ "name": "http", "containerPort": port, "protocol": "TCP" }],
                        "env": app_env(t, caps),
                        "readinessProbe": { "httpGet": { "path": "/healthz", "port": "http" }, "periodSeconds": 5 },
                        "resources": container_resources(t.tier),
                    }]}), APP_UID),
                },
            },
        }),
    )
}

fn service(t: &TenantInput, ns: &str, name: &str) -> Manifest {
    Manifest::new(
        "v1",
        "Service",
        "services",
        name,
        Some(ns),
        json!({
            "metadata": metadata(t, name, ns, name),
            "spec": {
                "selector": { "app.kubernetes.io/component": name, "tenantry.io/tenant": t.id },
                "ports": [{ "name": "http", "port": 80, "targetPort": "http", "protocol": "TCP" }],
            },
        }),
    )
}

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

/// The migration Job. Its pod template is immutable, so the name carries a
/// hash of its spec: re-applying the same spec is a no-op, and a changed
/// image or tier makes a new Job (a new migration run) instead of a refusal.
fn migration_job(t: &TenantInput, s: &RenderSettings, caps: &Capabilities, ns: &str) -> Manifest {
    let container = json!({
        "name": "migrate",
        "image": s.image(&s.migrate_image),
        "env": app_env(t, caps),
        "resources": container_resources(t.tier),
    });
    hashed_job(t, (MIGRATION_JOB_PREFIX, ns), container, APP_UID)
}

/// Names of migration Jobs start with this.
pub const MIGRATION_JOB_PREFIX: &str = "db-migrate-";

pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    let tier = t.tier;
    let mut out = vec![
        migration_job(t, s, caps, ns),
        deployment(
            t,
            s,
            caps,
            ns,
            Workload {
                name: "api",
                image: &s.api_image,
                port: 8080,
                replicas: tier.api_replicas,
            },
        ),
        service(t, ns, "api"),
        deployment(
            t,
            s,
            caps,
            ns,
            Workload {
                name: "web",
                image: &s.web_image,
                port: 3000,
                replicas: tier.web_replicas,
            },
        ),
        service(t, ns, "web"),
    ];
    let hosts = hosts(t, s);
    let path = |p: &str, svc: &str| json!({ "path": p, "pathType": "Prefix", "backend": { "service": { "name": svc, "port": { "name": "http" } } } });
    let rules: Vec<Value> = hosts
        .iter()
        .map(|h| json!({ "host": h, "http": { "paths": [path("/api", "api"), path("/", "web")] } }))
        .collect();
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

    if let Some(api_version) = caps.hpa.as_deref() {
        if tier.features.iter().any(|f| f == AUTOSCALING_FEATURE) {
            out.push(Manifest::new(api_version, "HorizontalPodAutoscaler", "horizontalpodautoscalers", "api", Some(ns), json!({
                "metadata": metadata(t, "api", ns, "api"),
                "spec": {
                    "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "api" },
                    "minReplicas": tier.api_replicas,
                    "maxReplicas": tier.api_replicas * 3,
                    "metrics": [{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 70 } } }],
                },
            })));
        }
    }
    out
}
