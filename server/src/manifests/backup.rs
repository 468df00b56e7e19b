//! Backups: the script (in a ConfigMap), the object store's credentials (a
//! Secret copied from the console's configuration), the scheduled backup
//! (a CronJob, or CloudNativePG's `ScheduledBackup`), and the Jobs that dump
//! or restore the tenant's database on request.

use super::security::{restricted, APP_UID};
use serde_json::{json, Value};

use super::database::{db_host, DB_NAME};
use super::web::fnv1a;
use super::{container_resources, metadata, pod_labels, Capabilities, Manifest, RenderSettings};
use super::{TenantInput, DB_SECRET};
use app::dto::{BackupDto, BackupMethod};

pub const BACKUP_JOB_PREFIX: &str = "db-backup-";
pub const RESTORE_JOB_PREFIX: &str = "db-restore-";
/// The ConfigMap holding `backup.sh`.
pub const BACKUP_SCRIPT_CONFIGMAP: &str = "backup-script";
/// The Secret holding the object store's credentials.
pub const BACKUP_STORE_SECRET: &str = "backup-store";
/// The CronJob (or `ScheduledBackup`) of a tier with backups.
pub const BACKUP_SCHEDULE_NAME: &str = "db-backup";
/// Label of backup Jobs: how the dump came to be.
pub const BACKUP_METHOD_LABEL: &str = "tenantry.io/backup-method";
/// Label of Jobs a run made: which run.
pub const RUN_LABEL: &str = "tenantry.io/run";

/// The script every backup and restore Job runs (tested against a real
/// PostgreSQL and S3 API by `end2end/backup-script.sh`).
pub const BACKUP_SCRIPT: &str = include_str!("backup.sh");

/// `s3://bucket/prefix` split into the bucket and the prefix (no slashes
/// around it); `None` when it is not an `s3://` URL with a bucket.
pub fn split_destination(destination: &str) -> Option<(&str, &str)> {
    let rest = destination.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, prefix.trim_matches('/')))
}

/// The object key inside the bucket of an `s3://bucket/key` location.
pub fn location_key(location: &str) -> Option<(&str, &str)> {
    let (bucket, key) = split_destination(location)?;
    (!key.is_empty()).then_some((bucket, key))
}

fn env(name: &str, value: impl Into<Value>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn secret_env(name: &str, secret: &str, key: &str) -> Value {
    json!({ "name": name, "valueFrom": { "secretKeyRef": { "name": secret, "key": key } } })
}

/// The pod every backup or restore runs: `sh /scripts/backup.sh <mode>`
/// with the database's and the store's settings (the bucket at
/// `destination`) in its environment.
fn pod_template(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    (mode, destination): (&str, &str),
    extra: Vec<Value>,
) -> Value {
    let mut vars = vec![
        env("PGHOST", db_host(caps)),
        env("PGDATABASE", DB_NAME),
        secret_env("PGUSER", DB_SECRET, "username"),
        secret_env("PGPASSWORD", DB_SECRET, "password"),
        env("BACKUP_DESTINATION", destination),
        env("BACKUP_TENANT", t.id),
        env("BACKUP_RETAIN", t.tier.backup_retention.to_string()),
        env("AWS_REGION", s.backup_region.clone()),
        secret_env("AWS_ACCESS_KEY_ID", BACKUP_STORE_SECRET, "access-key-id"),
        secret_env(
            "AWS_SECRET_ACCESS_KEY",
            BACKUP_STORE_SECRET,
            "secret-access-key",
        ),
        env("WORK_DIR", "/work"),
    ];
    if !s.backup_endpoint.is_empty() {
        vars.push(env("S3_ENDPOINT", s.backup_endpoint.clone()));
    }
    if let Some(sse) = &s.backup_sse {
        vars.push(env("BACKUP_SSE", sse.clone()));
    }
    vars.extend(extra);
    json!({
        "metadata": { "labels": pod_labels(t, "backup") },
        "spec": restricted(json!({
            "restartPolicy": "Never",
            "containers": [{
                "name": "backup",
                "image": s.image(&s.backup_image),
                "command": ["sh", "/scripts/backup.sh", mode],
                "env": vars,
                "resources": container_resources(t.tier),
                "terminationMessagePolicy": "File",
                "volumeMounts": [
                    { "name": "script", "mountPath": "/scripts", "readOnly": true },
                    { "name": "work", "mountPath": "/work" },
                ],
            }],
            "volumes": [
                { "name": "script", "configMap": { "name": BACKUP_SCRIPT_CONFIGMAP } },
                { "name": "work", "emptyDir": {} },
            ],
        }), APP_UID),
    })
}

fn with_label(mut meta: Value, key: &str, value: &str) -> Value {
    meta["labels"][key] = json!(value);
    meta
}

/// A Job dumping the tenant's database now, for run `run_id` (back up now,
/// or before deprovisioning). One per run: a retried step re-applies the
/// same Job instead of starting another dump.
pub fn backup_job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    run_id: i64,
    method: BackupMethod,
) -> Manifest {
    let ns = t.namespace;
    let spec = json!({
        "backoffLimit": 1,
        "template": pod_template(t, s, caps, ("backup", &s.backup_destination), vec![]),
    });
    let name = format!(
        "{BACKUP_JOB_PREFIX}{run_id}-{:06x}",
        fnv1a(spec.to_string().as_bytes()) as u32 & 0xff_ffff
    );
    let meta = with_label(
        metadata(t, &name, ns, "backup"),
        BACKUP_METHOD_LABEL,
        method.as_str(),
    );
    Manifest::new(
        "batch/v1",
        "Job",
        "jobs",
        &name,
        Some(ns),
        json!({ "metadata": with_label(meta, RUN_LABEL, &run_id.to_string()), "spec": spec }),
    )
}

/// A Job putting `backup` back into the tenant's database (the script
/// checks the dump's SHA-256 first, then restores in one transaction).
pub fn restore_job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    run_id: i64,
    backup: &BackupDto,
) -> Manifest {
    let ns = t.namespace;
    let (bucket, key) = location_key(&backup.location).unwrap_or(("", ""));
    // The dump is read from the bucket it was written to.
    let template = pod_template(
        t,
        s,
        caps,
        ("restore", &format!("s3://{bucket}")),
        vec![
            env("BACKUP_KEY", key),
            env("BACKUP_SHA256", backup.sha256.clone()),
        ],
    );
    let name = format!("{RESTORE_JOB_PREFIX}{run_id}");
    Manifest::new(
        "batch/v1",
        "Job",
        "jobs",
        &name,
        Some(ns),
        json!({
            "metadata": with_label(metadata(t, &name, ns, "restore"), RUN_LABEL, &run_id.to_string()),
            "spec": { "backoffLimit": 0, "template": template },
        }),
    )
}

/// The script's ConfigMap, the store's (valueless) Secret, and, for a tier
/// with backups, its schedule.
pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    let mut out = vec![
        Manifest::new(
            "v1",
            "ConfigMap",
            "configmaps",
            BACKUP_SCRIPT_CONFIGMAP,
            Some(ns),
            json!({
                "metadata": metadata(t, BACKUP_SCRIPT_CONFIGMAP, ns, "backup"),
                "data": { "backup.sh": BACKUP_SCRIPT },
            }),
        ),
        super::namespace::secret(
            t,
            ns,
            BACKUP_STORE_SECRET,
            "backup",
            &["access-key-id", "secret-access-key"],
        ),
    ];
    out.extend(schedule(t, s, caps, ns));
    out
}

/// A tier with backups gets CloudNativePG's `ScheduledBackup` where that is
/// served (the Cluster then carries the object store), else a CronJob in the
/// batch version the cluster serves.
fn schedule(t: &TenantInput, s: &RenderSettings, caps: &Capabilities, ns: &str) -> Vec<Manifest> {
    if !t.tier.backup_enabled {
        return vec![];
    }
    let meta = metadata(t, BACKUP_SCHEDULE_NAME, ns, "backup");
    if caps.cnpg {
        return vec![Manifest::new(
            "postgresql.cnpg.io/v1",
            "ScheduledBackup",
            "scheduledbackups",
            BACKUP_SCHEDULE_NAME,
            Some(ns),
            json!({
                "metadata": meta,
                "spec": {
                    // CloudNativePG's schedules start with seconds.
                    "schedule": format!("0 {}", t.tier.backup_schedule),
                    "cluster": { "name": "db" },
                    "backupOwnerReference": "self",
                    "method": "barmanObjectStore",
                },
            }),
        )];
    }
    let Some(version) = caps.cronjob.as_deref() else {
        return vec![];
    };
    let job_meta = with_label(
        json!({ "labels": pod_labels(t, "backup") }),
        BACKUP_METHOD_LABEL,
        BackupMethod::Scheduled.as_str(),
    );
    vec![Manifest::new(
        version,
        "CronJob",
        "cronjobs",
        BACKUP_SCHEDULE_NAME,
        Some(ns),
        json!({
            "metadata": meta,
            "spec": {
                "schedule": t.tier.backup_schedule,
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 3600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "metadata": job_meta,
                    "spec": {
                        "backoffLimit": 1,
                        "template": pod_template(t, s, caps, ("backup", &s.backup_destination), vec![]),
                    },
                },
            },
        }),
    )]
}

/// CloudNativePG's object store section for the Cluster of a tier with
/// backups: the same bucket, under the tenant's prefix, kept for the
/// retention count times a day.
pub(super) fn cnpg_object_store(t: &TenantInput, s: &RenderSettings) -> Option<Value> {
    if !t.tier.backup_enabled {
        return None;
    }
    let (bucket, prefix) = split_destination(&s.backup_destination)?;
    let path = if prefix.is_empty() {
        format!("s3://{bucket}/{}", t.id)
    } else {
        format!("s3://{bucket}/{prefix}/{}", t.id)
    };
    let key = |k: &str| json!({ "name": BACKUP_STORE_SECRET, "key": k });
    let mut store = json!({
        "destinationPath": path,
        "s3Credentials": { "accessKeyId": key("access-key-id"), "secretAccessKey": key("secret-access-key") },
        "data": { "compression": "gzip" },
        "wal": { "compression": "gzip" },
    });
    if !s.backup_endpoint.is_empty() {
        store["endpointURL"] = json!(s.backup_endpoint);
    }
    if let Some(sse) = &s.backup_sse {
        store["data"]["encryption"] = json!(sse);
        store["wal"]["encryption"] = json!(sse);
    }
    Some(json!({
        "barmanObjectStore": store,
        "retentionPolicy": format!("{}d", t.tier.backup_retention.max(1)),
    }))
}

/// The schedule a tier no longer asks for (backups turned off): a reference
/// to it, so the step deletes it.
pub fn stale_backup_schedule(
    manifests: &[Manifest],
    caps: &Capabilities,
    ns: &str,
) -> Option<Manifest> {
    if manifests.iter().any(|m| m.name == BACKUP_SCHEDULE_NAME) {
        return None;
    }
    let (version, kind, plural) = if caps.cnpg {
        (
            "postgresql.cnpg.io/v1",
            "ScheduledBackup",
            "scheduledbackups",
        )
    } else {
        (caps.cronjob.as_deref()?, "CronJob", "cronjobs")
    };
    Some(Manifest::new(
        version,
        kind,
        plural,
        BACKUP_SCHEDULE_NAME,
        Some(ns),
        json!({}),
    ))
}
