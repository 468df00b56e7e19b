//! The release's database. PostgreSQL: a CloudNativePG `Cluster` where
//! that CRD is served, else a StatefulSet with its headless Service and
//! volume claim template; MySQL: a StatefulSet (see `mysql.rs`).

use super::security::{restricted, POSTGRES_UID};
use app::dto::DatabaseKind;
use serde_json::json;

use super::parts::hashed_job;
use super::{
    container_resources, gibibytes, metadata, pod_labels, Capabilities, Manifest, RenderSettings,
    TenantInput, DB_SECRET,
};

/// The database superuser's Secret (StatefulSet tenants): the
/// application's role is not one.
pub const DB_SUPERUSER_SECRET: &str = "db-superuser";
/// Names of the Jobs that take superuser rights from the application's
/// role start with this.
pub const DB_ROLES_JOB_PREFIX: &str = "db-roles-";
const DB_ROLES_SCRIPT: &str = include_str!("db_roles.sh");

pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    match t.release.database.kind {
        DatabaseKind::Postgres => postgres(t, s, caps, ns),
        DatabaseKind::Mysql => super::mysql::render(t, s, ns),
        DatabaseKind::None => vec![],
    }
}

/// The database server's image, through the mirror for relative names.
pub(super) fn image(t: &TenantInput, s: &RenderSettings) -> String {
    s.image(t.release.database.image.as_deref().unwrap_or_default())
}

fn postgres(t: &TenantInput, s: &RenderSettings, caps: &Capabilities, ns: &str) -> Vec<Manifest> {
    let tier = t.tier;
    let db_name = t.release.database.name();
    if caps.cnpg {
        let mut spec = json!({
            "instances": tier.postgres_instances,
            "imageName": image(t, s),
            "storage": { "size": gibibytes(tier.postgres_storage_gi) },
            "resources": container_resources(tier),
            "bootstrap": { "initdb": { "database": db_name, "owner": db_name, "secret": { "name": DB_SECRET } } },
            // The operator's pods carry Tenantry's labels too, so the live
            // view's label-selected watch sees the database.
            "inheritedMetadata": { "labels": pod_labels(t, "database") },
        });
        if let Some(class) = &s.storage_class {
            spec["storage"]["storageClass"] = json!(class);
        }
        if let Some(backup) = super::backup::cnpg_object_store(t, s) {
            spec["backup"] = backup;
        }
        let mut meta = metadata(t, "db", ns, "database");
        meta["annotations"] = json!({ "tenantry.io/backup": if tier.backup_enabled { "enabled" } else { "disabled" } });
        return vec![Manifest::new(
            "postgresql.cnpg.io/v1",
            "Cluster",
            "clusters",
            "db",
            Some(ns),
            json!({
                "metadata": meta,
                "spec": spec,
            }),
        )];
    }
    let secret_env = |name: &str, key: &str| json!({ "name": name, "valueFrom": { "secretKeyRef": { "name": DB_SECRET, "key": key } } });
    // The official image's `postgres` user; the data volume is given to
    // its group (fsGroup).
    let container = json!({
        "name": "postgres",
        "image": image(t, s),
        "ports": [{ "name": "postgres", "containerPort": 5432, "protocol": "TCP" }],
        "env": [
            { "name": "POSTGRES_DB", "value": db_name },
            secret_env("POSTGRES_USER", "username"),
            secret_env("POSTGRES_PASSWORD", "password"),
            { "name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata" },
        ],
        "readinessProbe": { "exec": { "command": ["pg_isready", "-U", db_name] }, "periodSeconds": 5 },
        "resources": container_resources(tier),
        "volumeMounts": [{ "name": "data", "mountPath": "/var/lib/postgresql/data" }],
    });
    let mut out = vec![
        super::namespace::superuser(t, ns, DB_SUPERUSER_SECRET, "postgres"),
        roles_job(t, s, ns),
    ];
    out.extend(server_set(
        t,
        s,
        ns,
        (("postgres", 5432), container, POSTGRES_UID),
    ));
    out
}

/// A database server without an operator: a headless Service `db` on
/// `port` and a StatefulSet `db` of one pod running `container` as `uid`,
/// its data on a claim sized by the plan.
pub(super) fn server_set(
    t: &TenantInput,
    s: &RenderSettings,
    ns: &str,
    ((port_name, port), container, uid): ((&str, u16), serde_json::Value, i64),
) -> [Manifest; 2] {
    let selector = json!({ "app.kubernetes.io/component": "database", "tenantry.io/tenant": t.id });
    let mut claim_spec = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": gibibytes(t.tier.postgres_storage_gi) } },
    });
    if let Some(class) = &s.storage_class {
        claim_spec["storageClassName"] = json!(class);
    }
    [
        Manifest::new(
            "v1",
            "Service",
            "services",
            "db",
            Some(ns),
            json!({
                "metadata": metadata(t, "db", ns, "database"),
                "spec": { "clusterIP": "None", "selector": selector, "ports": [{ "name": port_name, "port": port, "protocol": "TCP" }] },
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
                    // A StatefulSet without an operator runs one primary; more
                    // instances need CloudNativePG's replication.
                    "replicas": 1,
                    "selector": { "matchLabels": selector },
                    "template": {
                        "metadata": { "labels": pod_labels(t, "database") },
                        "spec": restricted(json!({ "containers": [container] }), uid),
                    },
                    "volumeClaimTemplates": [{ "metadata": { "name": "data" }, "spec": claim_spec }],
                },
            }),
        ),
    ]
}

/// The Job that leaves the application's role without superuser rights
/// (see `db_roles.sh`), run before each migration. Named by a hash of its
/// spec, as the migration Job is (a pod template is immutable).
fn roles_job(t: &TenantInput, s: &RenderSettings, ns: &str) -> Manifest {
    let from = |secret: &str, key: &str| json!({ "secretKeyRef": { "name": secret, "key": key } });
    let container = json!({
        "name": "db-roles",
        "image": image(t, s),
        "command": ["sh", "-c", DB_ROLES_SCRIPT],
        "env": [
            { "name": "PGHOST", "value": "db" },
            { "name": "PGDATABASE", "value": t.release.database.name() },
            { "name": "APP_USER", "valueFrom": from(DB_SECRET, "username") },
            { "name": "APP_PASSWORD", "valueFrom": from(DB_SECRET, "password") },
            { "name": "SUPER_USER", "valueFrom": from(DB_SUPERUSER_SECRET, "username") },
            { "name": "SUPER_PASSWORD", "valueFrom": from(DB_SUPERUSER_SECRET, "password") },
        ],
        "resources": { "requests": { "cpu": "10m", "memory": "32Mi" },
                       "limits": { "cpu": "200m", "memory": "64Mi" } },
    });
    hashed_job(
        t,
        (DB_ROLES_JOB_PREFIX, ns, "migration"),
        container,
        (POSTGRES_UID, 4),
    )
}
