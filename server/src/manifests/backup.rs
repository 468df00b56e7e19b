//! The Job that dumps a tenant's database before it is deprovisioned.

use serde_json::json;

use super::web::{app_env, fnv1a};
use super::TenantInput;
use super::{container_resources, metadata, pod_labels, Capabilities, Manifest, RenderSettings};

pub const BACKUP_JOB_PREFIX: &str = "db-backup-";

/// A Job running the backup image against the tenant's database, writing to
/// `<destination>/<tenant>/run-<run>.dump`. One per run: a retried step
/// re-applies the same Job instead of starting another dump.
pub fn backup_job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    run_id: i64,
) -> Manifest {
    let ns = t.namespace;
    let target = format!(
        "{}/{}/run-{run_id}.dump",
        s.backup_destination.trim_end_matches('/'),
        t.id
    );
    let mut env = app_env(t, caps);
    if let Some(list) = env.as_array_mut() {
        list.push(json!({ "name": "BACKUP_TARGET", "value": target }));
    }
    let spec = json!({
        "backoffLimit": 2,
        "template": {
            "metadata": { "labels": pod_labels(t, "backup") },
            "spec": {
                "restartPolicy": "Never",
                "containers": [{
                    "name": "backup",
                    "image": s.image(&s.backup_image),
                    "env": env,
                    "resources": container_resources(t.tier),
                }],
            },
        },
    });
    let name = format!(
        "{BACKUP_JOB_PREFIX}{run_id}-{:06x}",
        fnv1a(spec.to_string().as_bytes()) as u32 & 0xff_ffff
    );
    Manifest::new(
        "batch/v1",
        "Job",
        "jobs",
        &name,
        Some(ns),
        json!({ "metadata": metadata(t, &name, ns, "backup"), "spec": spec }),
    )
}
