//! Building blocks the renderers share: the database's name and host as
//! the application sees them, a stable hash, and the spec-hashed Jobs of
//! the migration step.

use serde_json::json;

use super::security::restricted;
use super::{metadata, pod_labels, Capabilities, Manifest, TenantInput};

pub const DB_NAME: &str = "app";
/// Service the API connects to: CNPG's read-write service, or ours.
pub fn db_host(caps: &Capabilities) -> &'static str {
    if caps.cnpg {
        "db-rw"
    } else {
        "db"
    }
}

/// A Job of the migration step running `container` once (as `uid`), named
/// by a hash of its spec (`<prefix><hash>`): its pod template is
/// immutable, so re-applying the same spec is a no-op and a changed image
/// or tier makes a new Job instead of a refusal. Its pods carry the
/// migration's labels, which the database lets in.
pub(super) fn hashed_job(
    t: &TenantInput,
    (prefix, ns): (&str, &str),
    container: serde_json::Value,
    uid: i64,
) -> Manifest {
    let spec = json!({
        "backoffLimit": 4,
        "template": {
            "metadata": { "labels": pod_labels(t, "migration") },
            "spec": restricted(json!({
                "restartPolicy": "Never",
                "containers": [container],
            }), uid),
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
            "metadata": metadata(t, &name, ns, "migration"),
            "spec": spec,
        }),
    )
}

/// FNV-1a: a stable hash (unlike std's, it never changes between builds).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
