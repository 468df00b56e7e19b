//! The release's components: for each a Deployment, a Service when it has
//! ports, a ConfigMap of its files and claims for its volumes; then the
//! routes, and an autoscaler for each component that asks where the plan
//! has autoscaling and the cluster serves it.

use app::dto::{ComponentSpec, JobPhase, ProbeSpec, ResourcesSpec, TierSpec, DEFAULT_RUN_AS_USER};
use serde_json::{json, Value};

use super::parts::fnv1a;
use super::security::pod_security;
use super::{
    container_resources, env, gibibytes, mebibytes, metadata, millicores, pod_labels, Capabilities,
    Manifest, RenderSettings, TenantInput,
};

/// The plan feature that turns on autoscaling of the components that ask.
pub const AUTOSCALING_FEATURE: &str = "autoscaling";
/// The pod annotation naming when the tenant's generated Secrets were last
/// rotated: a rotation changes it, so the pods roll onto the new values.
pub const SECRETS_ROTATED: &str = "tenantry.io/secrets-rotated";

pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    let mut out = super::jobs::render(t, s, caps, ns, JobPhase::Migrate);
    for c in &t.release.components {
        // Each file's values resolved once: its ConfigMap and the pods'
        // content hash both read them.
        let contents: Vec<String> = c
            .files
            .iter()
            .map(|f| env::file(t, s, caps, &f.content))
            .collect();
        out.extend(files(t, ns, c, &contents));
        out.extend(claims(t, s, ns, c));
        out.push(deployment(t, s, caps, ns, (c, &contents)));
        if !c.ports.is_empty() {
            out.push(service(t, ns, c));
        }
    }
    out.extend(super::routes::render(t, s, caps, ns));
    if let Some(api_version) = caps.hpa.as_deref() {
        if t.tier.features.iter().any(|f| f == AUTOSCALING_FEATURE) {
            out.extend(
                t.release
                    .components
                    .iter()
                    .filter(|c| c.autoscale.is_some())
                    .map(|c| autoscaler(t, ns, c, api_version)),
            );
        }
    }
    out
}

/// Replicas of `c`: its own, one with volumes, else the plan's.
pub fn replicas(c: &ComponentSpec, tier: &TierSpec) -> u32 {
    if !c.volumes.is_empty() {
        return 1;
    }
    c.replicas.unwrap_or_else(|| tier.replicas_of(&c.name))
}

/// `own` resources, else the plan's.
pub(super) fn resources(own: Option<&ResourcesSpec>, tier: &TierSpec) -> Value {
    match own {
        Some(r) => json!({
            "requests": { "cpu": millicores(r.cpu_request_m), "memory": mebibytes(r.memory_request_mi) },
            "limits": { "cpu": millicores(r.cpu_limit_m), "memory": mebibytes(r.memory_limit_mi) },
        }),
        None => container_resources(tier),
    }
}

fn probe(p: &ProbeSpec) -> Value {
    let mut v = if let Some(h) = &p.http {
        json!({ "httpGet": { "path": h.path, "port": h.port } })
    } else if let Some(port) = &p.tcp {
        json!({ "tcpSocket": { "port": port } })
    } else {
        json!({ "exec": { "command": p.exec } })
    };
    for (key, value) in [
        ("periodSeconds", p.period_seconds),
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("failureThreshold", p.failure_threshold),
    ] {
        if let Some(n) = value {
            v[key] = json!(n);
        }
    }
    v
}

fn files_name(c: &ComponentSpec) -> String {
    format!("{}-files", c.name)
}

fn claim_name(c: &ComponentSpec, volume: &str) -> String {
    format!("{}-{volume}", c.name)
}

/// The component's files (`contents`, values resolved) in one ConfigMap.
fn files(t: &TenantInput, ns: &str, c: &ComponentSpec, contents: &[String]) -> Option<Manifest> {
    if contents.is_empty() {
        return None;
    }
    let data: serde_json::Map<String, Value> = contents
        .iter()
        .enumerate()
        .map(|(i, text)| (format!("file-{i}"), json!(text)))
        .collect();
    let name = files_name(c);
    Some(Manifest::new(
        "v1",
        "ConfigMap",
        "configmaps",
        &name,
        Some(ns),
        json!({ "metadata": metadata(t, &name, ns, &c.name), "data": data }),
    ))
}

fn claims(t: &TenantInput, s: &RenderSettings, ns: &str, c: &ComponentSpec) -> Vec<Manifest> {
    c.volumes
        .iter()
        .map(|v| {
            let name = claim_name(c, &v.name);
            let mut spec = json!({
                "accessModes": ["ReadWriteOnce"],
                "resources": { "requests": { "storage": gibibytes(v.size_gi) } },
            });
            if let Some(class) = &s.storage_class {
                spec["storageClassName"] = json!(class);
            }
            Manifest::new(
                "v1",
                "PersistentVolumeClaim",
                "persistentvolumeclaims",
                &name,
                Some(ns),
                json!({ "metadata": metadata(t, &name, ns, &c.name), "spec": spec }),
            )
        })
        .collect()
}

fn deployment(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
    (c, contents): (&ComponentSpec, &[String]),
) -> Manifest {
    let name = c.name.as_str();
    let selector = json!({ "app.kubernetes.io/component": name, "tenantry.io/tenant": t.id });
    let mut container = json!({
        "name": name,
        "image": s.image(&c.image),
        "resources": resources(c.resources.as_ref(), t.tier),
    });
    let vars = env::env(t, s, caps, &c.env);
    if !vars.is_empty() {
        container["env"] = json!(vars);
    }
    if !c.command.is_empty() {
        container["command"] = json!(c.command);
    }
    if !c.args.is_empty() {
        container["args"] = json!(c.args);
    }
    if !c.ports.is_empty() {
        container["ports"] = c
            .ports
            .iter()
            .map(
                |p| json!({ "name": p.name, "containerPort": p.container_port, "protocol": "TCP" }),
            )
            .collect();
    }
    if let Some(p) = &c.readiness {
        container["readinessProbe"] = probe(p);
    }
    if let Some(p) = &c.liveness {
        container["livenessProbe"] = probe(p);
    }
    let mut mounts: Vec<Value> = c
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| json!({ "name": "files", "mountPath": f.path, "subPath": format!("file-{i}"), "readOnly": true }))
        .collect();
    mounts.extend(
        c.volumes
            .iter()
            .map(|v| json!({ "name": v.name, "mountPath": v.mount_path })),
    );
    let mut volumes: Vec<Value> = vec![];
    if !c.files.is_empty() {
        volumes.push(json!({ "name": "files", "configMap": { "name": files_name(c) } }));
    }
    volumes.extend(c.volumes.iter().map(|v| {
        json!({ "name": v.name, "persistentVolumeClaim": { "claimName": claim_name(c, &v.name) } })
    }));
    if !mounts.is_empty() {
        container["volumeMounts"] = json!(mounts);
    }
    let mut pod = json!({ "containers": [container] });
    if !volumes.is_empty() {
        pod["volumes"] = json!(volumes);
    }
    let mut meta = json!({ "labels": pod_labels(t, name) });
    if !c.files.is_empty() {
        // Files are mounted by subPath, which a running pod never sees
        // change: a change of content rolls the pods instead.
        let all: String = contents.concat();
        meta["annotations"] =
            json!({ "tenantry.io/files": format!("{:016x}", fnv1a(all.as_bytes())) });
    }
    super::contract::mount(t, s, caps, (&mut pod, Some(&mut meta)));
    if let Some(at) = t.secrets_rotated {
        meta["annotations"][SECRETS_ROTATED] = json!(at.to_string());
    }
    let uid = c.run_as_user.unwrap_or(DEFAULT_RUN_AS_USER);
    let template = json!({
        "metadata": meta,
        "spec": pod_security(pod, uid, t.release.pod_security),
    });
    let mut spec = json!({
        "replicas": replicas(c, t.tier),
        "selector": { "matchLabels": selector },
        "template": template,
    });
    if !c.volumes.is_empty() {
        // A claim is read-write by one node: the old pod goes first.
        spec["strategy"] = json!({ "type": "Recreate" });
    }
    Manifest::new(
        "apps/v1",
        "Deployment",
        "deployments",
        name,
        Some(ns),
        json!({ "metadata": metadata(t, name, ns, name), "spec": spec }),
    )
}

fn service(t: &TenantInput, ns: &str, c: &ComponentSpec) -> Manifest {
    let name = c.name.as_str();
    let ports: Vec<Value> = c
        .ports
        .iter()
        .map(|p| json!({ "name": p.name, "port": p.service_port.unwrap_or(p.container_port), "targetPort": p.name, "protocol": "TCP" }))
        .collect();
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
                "ports": ports,
            },
        }),
    )
}

fn autoscaler(t: &TenantInput, ns: &str, c: &ComponentSpec, api_version: &str) -> Manifest {
    let name = c.name.as_str();
    let min = replicas(c, t.tier);
    let target = c.autoscale.as_ref().map_or(70, |a| a.cpu_utilization);
    Manifest::new(
        api_version,
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        name,
        Some(ns),
        json!({
            "metadata": metadata(t, name, ns, name),
            "spec": {
                "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": name },
                "minReplicas": min,
                "maxReplicas": min * 3,
                "metrics": [{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": target } } }],
            },
        }),
    )
}
