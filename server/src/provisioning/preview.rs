//! Dry-runs: what a tenant's objects would be, as YAML, and what applying
//! them would change on the cluster, field by field. Only fields Tenantry
//! sets are compared (defaults the API server adds are not changes), and
//! Secrets are compared by existence only, so no secret value is ever read
//! into a preview.

use app::dto::{ChangeAction, FieldChange, ObjectChange};
use serde_json::Value;

use crate::cluster::{self, Cluster};
use crate::error::Result;
use crate::manifests::Manifest;

/// Parses a Kubernetes quantity ("500m", "1", "2Gi", "512Mi") to a number.
fn quantity(s: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 10] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("m", 0.001),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("", 1.0),
    ];
    SUFFIXES.iter().find_map(|(suffix, factor)| {
        let number = s.strip_suffix(suffix)?;
        let n: f64 = number.parse().ok()?;
        Some(n * factor)
    })
}

fn same(desired: &Value, live: &Value) -> bool {
    if desired == live {
        return true;
    }
    match (desired, live) {
        (Value::String(a), Value::String(b)) => {
            matches!((quantity(a), quantity(b)), (Some(x), Some(y)) if (x - y).abs() < 1e-9)
        }
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => a
            .as_f64()
            .zip(quantity(b))
            .is_some_and(|(x, y)| (x - y).abs() < 1e-9),
        _ => false,
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every field of `desired` whose live value differs, by path.
fn diff(path: &str, desired: &Value, live: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (desired, live) {
        (Value::Object(want), Some(Value::Object(have))) => {
            for (key, value) in want {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(&sub, value, have.get(key), out);
            }
        }
        (Value::Array(want), Some(Value::Array(have))) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                diff(&format!("{path}[{i}]"), w, Some(h), out);
            }
        }
        (want, Some(have)) if same(want, have) => {}
        (want, have) => out.push(FieldChange {
            path: path.to_string(),
            live: have.map(show),
            desired: Some(show(want)),
        }),
    }
}

/// Compares one desired object with its live counterpart.
pub fn compare(m: &Manifest, live: Option<&Value>) -> ObjectChange {
    let (action, fields) = match live {
        None => (ChangeAction::Create, vec![]),
        Some(_) if m.kind == "Secret" => (ChangeAction::Unchanged, vec![]),
        Some(live) => {
            let mut fields = vec![];
            for part in ["metadata", "spec", "data"] {
                if let Some(want) = m.body.get(part) {
                    let want = if part == "metadata" {
                        serde_json::json!({ "labels": want.get("labels"), "annotations": want.get("annotations") })
                    } else {
                        want.clone()
                    };
                    let want = strip_nulls(want);
                    diff(part, &want, live.get(part), &mut fields);
                }
            }
            let action = if fields.is_empty() {
                ChangeAction::Unchanged
            } else {
                ChangeAction::Update
            };
            (action, fields)
        }
    };
    ObjectChange {
        kind: m.kind.clone(),
        name: m.name.clone(),
        action,
        fields,
    }
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// What applying `manifests` would change on the cluster, object by object,
/// plus what they no longer render (see `cluster::prune`).
pub async fn diff_with_live(
    cluster: &Cluster,
    manifests: &[Manifest],
) -> Result<Vec<ObjectChange>> {
    let mut out = Vec::with_capacity(manifests.len());
    for m in manifests {
        let live = cluster::get_live(&cluster.client, m).await?;
        out.push(compare(m, live.as_ref()));
    }
    // And what the application step would remove (nothing from a
    // namespace that does not exist yet).
    if let Some(ns) = manifests.iter().find(|m| m.kind == "Namespace") {
        let stale =
            cluster::prune::stale_objects(&cluster.client, &cluster.caps, manifests, &ns.name)
                .await?;
        out.extend(stale.into_iter().map(|m| ObjectChange {
            kind: m.kind,
            name: m.name,
            action: ChangeAction::Delete,
            fields: vec![],
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(replicas: i64, cpu: &str) -> Manifest {
        Manifest {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            plural: "deployments".into(),
            name: "api".into(),
            namespace: Some("tenant-a".into()),
            generated: vec![],
            body: json!({
                "metadata": { "name": "api", "labels": { "tier": "pro" } },
                "spec": { "replicas": replicas, "template": { "spec": { "containers": [
                    { "name": "api", "resources": { "limits": { "cpu": cpu } } }
                ] } } },
            }),
        }
    }

    #[test]
    fn only_fields_tenantry_sets_are_compared_and_quantities_are_normalised() {
        let live = json!({
            "metadata": { "name": "api", "uid": "x", "labels": { "tier": "pro" } },
            "spec": { "replicas": 2, "progressDeadlineSeconds": 600, "template": { "spec": { "containers": [
                { "name": "api", "imagePullPolicy": "Always", "resources": { "limits": { "cpu": "1" } } }
            ] } } },
            "status": { "readyReplicas": 2 },
        });
        let same = compare(&deployment(2, "1000m"), Some(&live));
        assert_eq!(same.action, ChangeAction::Unchanged, "{:?}", same.fields);
        let changed = compare(&deployment(3, "2"), Some(&live));
        assert_eq!(changed.action, ChangeAction::Update);
        let paths: Vec<(&str, Option<&str>, Option<&str>)> = changed
            .fields
            .iter()
            .map(|f| (f.path.as_str(), f.live.as_deref(), f.desired.as_deref()))
            .collect();
        assert_eq!(
            paths,
            [
                ("spec.replicas", Some("2"), Some("3")),
                (
                    "spec.template.spec.containers[0].resources.limits.cpu",
                    Some("1"),
                    Some("2")
                ),
            ]
        );
        assert_eq!(
            compare(&deployment(1, "1"), None).action,
            ChangeAction::Create
        );
    }

    #[test]
    fn secrets_are_compared_by_existence_only() {
        let secret = Manifest {
            api_version: "v1".into(),
            kind: "Secret".into(),
            plural: "secrets".into(),
            name: "db-credentials".into(),
            namespace: Some("tenant-a".into()),
            generated: vec![],
            body: json!({ "metadata": { "name": "db-credentials" } }),
        };
        let live = json!({ "data": { "password": "c2VjcmV0" } });
        let c = compare(&secret, Some(&live));
        assert_eq!(c.action, ChangeAction::Unchanged);
        assert!(c.fields.is_empty());
        assert!(quantity("512Mi") == Some(536_870_912.0) && quantity("x").is_none());
    }
}
