//! Backups: the script (in a ConfigMap), and the Jobs that dump or restore
//! the tenant's database: on request, before deprovisioning, or on the
//! tier's schedule (Jobs the leader makes; CloudNativePG's own
//! `ScheduledBackup` where it runs the database). A Job holds no store
//! credentials: the console fills in a presigned URL for its one object
//! when it creates it (see `provisioning::object_store`). Only
//! CloudNativePG's object store needs the store's key in the namespace
//! (a Secret copied from the console's configuration).

use super::security::{restricted, APP_UID};
use serde_json::{json, Value};

use super::parts::{db_host, fnv1a};
use super::{container_resources, metadata, pod_labels, Capabilities, Manifest, RenderSettings};
use super::{TenantInput, DB_SECRET};
use app::dto::{BackupDto, BackupMethod};

pub const BACKUP_JOB_PREFIX: &str = "db-backup-";
pub const RESTORE_JOB_PREFIX: &str = "db-restore-";
/// The ConfigMap holding `backup.sh`.
pub const BACKUP_SCRIPT_CONFIGMAP: &str = "backup-script";
/// The Secret holding the object store's credentials.
pub const BACKUP_STORE_SECRET: &str = "backup-store";
/// CloudNativePG's `ScheduledBackup` of a tier with backups (and the
/// CronJob earlier releases made, removed on the next update).
pub const BACKUP_SCHEDULE_NAME: &str = "db-backup";
/// Annotation of backup Jobs: how many of the tenant's dumps to keep.
pub const BACKUP_RETAIN_ANNOTATION: &str = "tenantry.io/backup-retain";
/// A backup or restore Job's deadline; its presigned URL is valid a little
/// longer.
pub const BACKUP_DEADLINE_SECS: i64 = 6 * 3600;
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
/// with the database's settings; `BACKUP_KEY` and `BACKUP_URL` are filled
/// in by the console as it creates the Job ([`with_object`]).
fn pod_template(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    mode: &str,
    extra: Vec<Value>,
) -> Value {
    let mut vars = vec![
        env("PGHOST", db_host(caps)),
        env("PGDATABASE", t.release.database.name()),
        secret_env("PGUSER", DB_SECRET, "username"),
        secret_env("PGPASSWORD", DB_SECRET, "password"),
        env("BACKUP_KEY", ""),
        env("BACKUP_URL", ""),
        env("WORK_DIR", "/work"),
    ];
    if let (Some(sse), "backup") = (&s.backup_sse, mode) {
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

/// A rendered backup or restore Job with its object filled in: the key and
/// the presigned URL (made when the Job is created; a Job is never applied
/// twice, its pod template being immutable).
pub fn with_object(job: &Manifest, key: &str, url: &str) -> Manifest {
    let mut out = job.clone();
    if let Some(vars) = out.body["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut()
    {
        for v in vars {
            match v["name"].as_str() {
                Some("BACKUP_KEY") => v["value"] = json!(key),
                Some("BACKUP_URL") => v["value"] = json!(url),
                _ => {}
            }
        }
    }
    out
}

/// The object key a backup Job named in its environment.
pub fn job_object_key(job: &Value) -> Option<&str> {
    job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == "BACKUP_KEY")?["value"]
        .as_str()
        .filter(|k| !k.is_empty())
}

/// The spec of a dump Job, and the metadata it shares: its method and how
/// many dumps the tenant keeps.
fn dump_job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    name: &str,
    method: BackupMethod,
) -> (Value, Value) {
    let mut meta = with_label(
        metadata(t, name, t.namespace, "backup"),
        BACKUP_METHOD_LABEL,
        method.as_str(),
    );
    meta["annotations"][BACKUP_RETAIN_ANNOTATION] = json!(t.tier.backup_retention.to_string());
    let spec = json!({
        "backoffLimit": 1,
        "activeDeadlineSeconds": BACKUP_DEADLINE_SECS,
        "template": pod_template(t, s, caps, "backup", vec![]),
    });
    (meta, spec)
}

/// The Job of the tier's schedule for the slot at `slot_unix` (seconds):
/// one per slot, made by the leader; kept a week after it finished.
pub fn scheduled_job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    slot_unix: i64,
) -> Manifest {
    let name = format!("{BACKUP_JOB_PREFIX}s{slot_unix}");
    let (meta, mut spec) = dump_job(t, s, caps, &name, BackupMethod::Scheduled);
    spec["ttlSecondsAfterFinished"] = json!(7 * 86_400);
    Manifest::new(
        "batch/v1",
        "Job",
        "jobs",
        &name,
        Some(t.namespace),
        json!({ "metadata": meta, "spec": spec }),
    )
}

fn with_label(mut meta: Value, key: &str, value: &str) -> Value {
    meta["labels"][key] = json!(value);
    meta
}

/// A Job dumping the tenant's database now, for run `run_id` (back up now,
/// or before deprovisioning). One per run: a retried step finds the same
/// Job instead of starting another dump.
pub fn backup_job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    run_id: i64,
    method: BackupMethod,
) -> Manifest {
    let ns = t.namespace;
    let (_, spec) = dump_job(t, s, caps, "", method);
    let name = format!(
        "{BACKUP_JOB_PREFIX}{run_id}-{:06x}",
        fnv1a(spec.to_string().as_bytes()) as u32 & 0xff_ffff
    );
    let (meta, spec) = dump_job(t, s, caps, &name, method);
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
    let (_, key) = location_key(&backup.location).unwrap_or(("", ""));
    let template = pod_template(
        t,
        s,
        caps,
        "restore",
        vec![env("BACKUP_SHA256", backup.sha256.clone())],
    );
    let name = format!("{RESTORE_JOB_PREFIX}{run_id}");
    let job = Manifest::new(
        "batch/v1",
        "Job",
        "jobs",
        &name,
        Some(ns),
        json!({
            "metadata": with_label(metadata(t, &name, ns, "restore"), RUN_LABEL, &run_id.to_string()),
            "spec": { "backoffLimit": 0, "activeDeadlineSeconds": BACKUP_DEADLINE_SECS, "template": template },
        }),
    );
    // The key is known now; the URL is made when the Job is created.
    with_object(&job, key, "")
}

/// The script's ConfigMap and, with CloudNativePG, the store's (valueless)
/// Secret its object store reads and, for a tier with backups, its
/// `ScheduledBackup`.
pub(super) fn render(
    t: &TenantInput,
    _s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    if !t.dumps() {
        return vec![];
    }
    let mut out = vec![Manifest::new(
        "v1",
        "ConfigMap",
        "configmaps",
        BACKUP_SCRIPT_CONFIGMAP,
        Some(ns),
        json!({
            "metadata": metadata(t, BACKUP_SCRIPT_CONFIGMAP, ns, "backup"),
            "data": { "backup.sh": BACKUP_SCRIPT },
        }),
    )];
    if caps.cnpg {
        out.push(super::namespace::secret(
            t,
            ns,
            BACKUP_STORE_SECRET,
            "backup",
            &["access-key-id", "secret-access-key"],
        ));
        if t.tier.backup_enabled {
            out.push(Manifest::new(
                "postgresql.cnpg.io/v1",
                "ScheduledBackup",
                "scheduledbackups",
                BACKUP_SCHEDULE_NAME,
                Some(ns),
                json!({
                    "metadata": metadata(t, BACKUP_SCHEDULE_NAME, ns, "backup"),
                    "spec": {
                        // CloudNativePG's schedules start with seconds.
                        "schedule": format!("0 {}", t.tier.backup_schedule),
                        "cluster": { "name": "db" },
                        "backupOwnerReference": "self",
                        "method": "barmanObjectStore",
                    },
                }),
            ));
        }
    }
    out
}

/// CloudNativePG's object store section for the Cluster of a tier with
/// backups: the same bucket, under the tenant's prefix, kept for the
/// retention count times a day.
pub(super) fn cnpg_object_store(t: &TenantInput, s: &RenderSettings) -> Option<Value> {
    if !t.tier.backup_enabled || !t.dumps() {
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

/// What a tenant's namespace should no longer hold: CloudNativePG's
/// schedule of a tier without backups; without CloudNativePG, the CronJob
/// and the store's Secret earlier releases made (a Job now gets a URL for
/// its one object instead of the fleet's key). References, so the step
/// deletes them (absent is fine).
pub fn stale_backup_objects(
    manifests: &[Manifest],
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    let reference = |version: &str, kind: &str, plural: &str, name: &str| {
        Manifest::new(version, kind, plural, name, Some(ns), json!({}))
    };
    if caps.cnpg {
        if manifests.iter().any(|m| m.name == BACKUP_SCHEDULE_NAME) {
            return vec![];
        }
        return vec![reference(
            "postgresql.cnpg.io/v1",
            "ScheduledBackup",
            "scheduledbackups",
            BACKUP_SCHEDULE_NAME,
        )];
    }
    let mut out = vec![reference("v1", "Secret", "secrets", BACKUP_STORE_SECRET)];
    if let Some(version) = caps.cronjob.as_deref() {
        out.push(reference(
            version,
            "CronJob",
            "cronjobs",
            BACKUP_SCHEDULE_NAME,
        ));
    }
    out
}
