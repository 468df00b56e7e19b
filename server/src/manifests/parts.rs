//! Building blocks the renderers share: the database's host as the
//! application sees it, a stable hash, and spec-hashed Jobs.

use serde_json::json;

use super::security::pod_security;
use super::{metadata, pod_labels, Capabilities, Manifest, TenantInput};

/// Service the application connects to: CNPG's read-write service, or ours.
pub fn db_host(caps: &Capabilities) -> &'static str {
    if caps.cnpg {
        "db-rw"
    } else {
        "db"
    }
}

/// A Job running `container` once (as `uid`, with `backoff` retries),
/// named by a hash of its spec (`<prefix><hash>`): its pod template is
/// immutable, so re-applying the same spec is a no-op and a changed image
/// or plan makes a new Job instead of a refusal. Its pods and itself carry
/// `component` (migrations' pods are let into the database).
pub(super) fn hashed_job(
    t: &TenantInput,
    (prefix, ns, component): (&str, &str, &str),
    container: serde_json::Value,
    (uid, backoff): (i64, u32),
) -> Manifest {
    let pod = json!({ "restartPolicy": "Never", "containers": [container] });
    hashed_pod_job(t, (prefix, ns, component), pod, (uid, backoff))
}

/// [`hashed_job`] of a pod spec already made (a release's job, which may
/// mount the tenant's configuration).
pub(super) fn hashed_pod_job(
    t: &TenantInput,
    (prefix, ns, component): (&str, &str, &str),
    pod: serde_json::Value,
    (uid, backoff): (i64, u32),
) -> Manifest {
    let spec = json!({
        "backoffLimit": backoff,
        "template": {
            "metadata": { "labels": pod_labels(t, component) },
            "spec": pod_security(pod, uid, t.release.pod_security),
        },
    });
    let name = format!("{prefix}{:08x}", fnv1a(spec.to_string().as_bytes()) as u32);
    Manifest::new(
        "batch/v1",
        "Job",
        "jobs",
        &name,
        Some(ns),
        json!({
            "metadata": metadata(t, &name, ns, component),
            "spec": spec,
        }),
    )
}

/// FNV-1a: a stable hash (unlike std's, it never changes between builds).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
