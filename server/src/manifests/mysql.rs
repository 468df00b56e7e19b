//! MySQL: a StatefulSet of one server with its headless Service and volume
//! claim template. The application's user and the root password come from
//! the generated `db-credentials` and `db-superuser` Secrets.

use serde_json::json;

use super::database::{image, DB_SUPERUSER_SECRET};
use super::security::restricted;
use super::{
    container_resources, gibibytes, metadata, pod_labels, Manifest, RenderSettings, TenantInput,
    DB_SECRET,
};

/// The `mysql` user of the official image.
pub const MYSQL_UID: i64 = 999;
pub const MYSQL_PORT: u16 = 3306;

pub(super) fn render(t: &TenantInput, s: &RenderSettings, ns: &str) -> Vec<Manifest> {
    let tier = t.tier;
    let selector = json!({ "app.kubernetes.io/component": "database", "tenantry.io/tenant": t.id });
    let mut claim_spec = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": gibibytes(tier.postgres_storage_gi) } },
    });
    if let Some(class) = &s.storage_class {
        claim_spec["storageClassName"] = json!(class);
    }
    let from = |secret: &str, name: &str, key: &str| json!({ "name": name, "valueFrom": { "secretKeyRef": { "name": secret, "key": key } } });
    vec![
        super::namespace::superuser(t, ns, DB_SUPERUSER_SECRET, "root"),
        Manifest::new(
            "v1",
            "Service",
            "services",
            "db",
            Some(ns),
            json!({
                "metadata": metadata(t, "db", ns, "database"),
                "spec": { "clusterIP": "None", "selector": selector, "ports": [{ "name": "mysql", "port": MYSQL_PORT, "protocol": "TCP" }] },
            }),
        ),
        Manifest::new(
            "apps/v1",
            "StatefulSet",
            "statefulsets",
            "db",
            Some(ns),
            json!({
                "metadata": metadata(t, "db", ns, "database"),
                "spec": {
                    "serviceName": "db",
                    "replicas": 1,
                    "selector": { "matchLabels": selector },
                    "template": {
                        "metadata": { "labels": pod_labels(t, "database") },
                        "spec": restricted(json!({ "containers": [{
                            "name": "mysql",
                            "image": image(t, s),
                            "ports": [{ "name": "mysql", "containerPort": MYSQL_PORT, "protocol": "TCP" }],
                            "env": [
                                { "name": "MYSQL_DATABASE", "value": t.release.database.name() },
                                from(DB_SECRET, "MYSQL_USER", "username"),
                                from(DB_SECRET, "MYSQL_PASSWORD", "password"),
                                from(DB_SUPERUSER_SECRET, "MYSQL_ROOT_PASSWORD", "password"),
                            ],
                            "readinessProbe": { "exec": { "command": ["sh", "-c", "mysqladmin ping -h 127.0.0.1 -uroot -p\"$MYSQL_ROOT_PASSWORD\""] }, "periodSeconds": 5 },
                            "resources": container_resources(tier),
                            "volumeMounts": [{ "name": "data", "mountPath": "/var/lib/mysql" }],
                        }]}), MYSQL_UID),
                    },
                    "volumeClaimTemplates": [{ "metadata": { "name": "data" }, "spec": claim_spec }],
                },
            }),
        ),
    ]
}
