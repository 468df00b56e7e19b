//! From a finished backup Job to a catalogue row: the Job's container says
//! what it wrote in its termination message (`{"key", "size", "sha256"}`,
//! printed by `backup.sh`); only a key under the tenant's own prefix, of a
//! pod the Job's controller made, whose stored size matches, is recorded;
//! then the dumps beyond the retention are pruned. The backup step records
//! the Job it waited for; the leader starts the tiers' scheduled Jobs,
//! records them once finished, and forgets catalogue rows whose keep
//! period is over.

use std::time::Duration;

use app::dto::{BackupDto, BackupMethod};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde::Deserialize;

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use super::EngineSlot;
use crate::error::{Result, ServerError};
use crate::manifests::{BACKUP_JOB_PREFIX, BACKUP_METHOD_LABEL, RUN_LABEL, TENANT_LABEL};
use crate::monitoring::{ClusterIndex, IndexChange, Kind};
use crate::store::{NewBackup, Store};

/// How often the leader looks for finished scheduled backups.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15);

/// What `backup.sh` reports of a dump it uploaded.
#[derive(Debug, Deserialize)]
struct Report {
    key: String,
    size: i64,
    sha256: String,
}

fn label<'a>(job: &'a Job, key: &str) -> Option<&'a str> {
    job.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

fn completed_at(job: &Job) -> Option<i64> {
    let status = job.status.as_ref()?;
    if status.succeeded.unwrap_or(0) < 1 {
        return None;
    }
    Some(
        status
            .completion_time
            .as_ref()
            .map(|t| t.0.as_millisecond())
            .unwrap_or_else(crate::store::now_ms),
    )
}

/// The termination message of the Job's succeeded pod, and when that pod's
/// container finished (the dump's time; the Job's status may lag behind).
/// Only a pod the Job's controller made counts (its owner reference names
/// the Job's UID): a pod that merely carries the Job's name label does not.
async fn report(client: &kube::Client, ns: &str, job: &Job) -> Result<(Report, Option<i64>)> {
    let name = job.metadata.name.as_deref().unwrap_or_default();
    let uid = job.metadata.uid.as_deref().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let list = pods
        .list(&ListParams::default().labels(&format!("job-name={name}")))
        .await
        .map_err(|e| ServerError::kube_on(&format!("pods of Job {ns}/{name}"), e))?;
    let job = name;
    let (message, finished) = list
        .items
        .iter()
        .filter(|p| {
            p.metadata.owner_references.iter().flatten().any(|o| {
                o.controller == Some(true) && o.kind == "Job" && !uid.is_empty() && o.uid == uid
            })
        })
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded"))
        .filter_map(|p| p.status.as_ref()?.container_statuses.as_ref())
        .flatten()
        .filter_map(|c| {
            let t = c.state.as_ref()?.terminated.as_ref()?;
            Some((t.message.clone()?, t.finished_at.as_ref().map(|f| f.0.as_millisecond())))
        })
        .next()
        .ok_or_else(|| {
            ServerError::Wait(format!(
                "backup Job {ns}/{job} completed, but its pod reported no dump (no termination message)"
            ))
        })?;
    let line = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let report: Report = serde_json::from_str(line).map_err(|e| {
        ServerError::Wait(format!(
            "backup Job {ns}/{job} reported an unreadable dump ({e})"
        ))
    })?;
    Ok((report, finished))
}

/// Records the dump a backup Job's succeeded pod reported (once; a second
/// call returns the same row). `None` when the Job is gone.
pub async fn record_job(
    client: &kube::Client,
    store: &Store,
    (tenant, ns): (&str, &str),
    (job_name, objects): (&str, &super::ObjectStore),
) -> Result<Option<BackupDto>> {
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
    let Some(job) = jobs
        .get_opt(job_name)
        .await
        .map_err(|e| ServerError::kube_on(&format!("Job {ns}/{job_name}"), e))?
    else {
        return Ok(None);
    };
    if label(&job, TENANT_LABEL) != Some(tenant) {
        return Err(ServerError::Conflict(format!(
            "Job {ns}/{job_name} is not a backup of tenant {tenant}"
        )));
    }
    let (r, finished) = report(client, ns, &job).await?;
    let taken_at = finished
        .or_else(|| completed_at(&job))
        .unwrap_or_else(crate::store::now_ms);
    // The bucket is the console's, never the Job's say; the key must lie
    // under the tenant's own prefix there, and hold what the Job reported.
    let bucket = objects.bucket();
    let live = serde_json::to_value(&job).unwrap_or_default();
    let own = crate::manifests::job_object_key(&live);
    if own != Some(r.key.as_str()) || !objects.is_tenants(&r.key, tenant) {
        return Err(ServerError::Conflict(format!(
            "backup Job {ns}/{job_name} reported the key {:?}, which is not the one it was given \
             under tenant {tenant}'s prefix in s3://{bucket}: not catalogued",
            r.key
        )));
    }
    match objects.size(&r.key).await? {
        Some(n) if i64::try_from(n).ok() == Some(r.size) => {}
        found => {
            return Err(ServerError::Wait(format!(
                "backup Job {ns}/{job_name} reported {} bytes at {}, the store holds {}",
                r.size,
                r.key,
                found.map_or("nothing".to_string(), |n| format!("{n} bytes"))
            )))
        }
    }
    let retain: usize = job
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::manifests::BACKUP_RETAIN_ANNOTATION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let row = NewBackup {
        tenant_id: tenant.to_string(),
        job: job_name.to_string(),
        method: label(&job, BACKUP_METHOD_LABEL)
            .and_then(BackupMethod::parse)
            .unwrap_or(BackupMethod::Scheduled),
        run_id: label(&job, RUN_LABEL).and_then(|v| v.parse().ok()),
        taken_at,
        location: format!("s3://{bucket}/{}", r.key),
        size_bytes: r.size,
        sha256: r.sha256,
    };
    let (recorded, pruned) = store
        .record_backup(&row, u32::try_from(retain).unwrap_or(u32::MAX))
        .await?;
    // The dumps the catalogue put beyond the tier's retention go, and only
    // those (a dump not catalogued yet is never counted against it).
    for location in pruned {
        match crate::manifests::location_key(&location) {
            Some((b, key)) if b == bucket && objects.is_tenants(key, tenant) => {
                objects.delete(key).await?;
                tracing::info!(tenant, key, "pruned a dump beyond the retention");
            }
            _ => {
                tracing::warn!(tenant, %location, "not pruned: not in the tenant's own prefix of the bucket")
            }
        }
    }
    Ok(Some(recorded))
}

/// The key of a new dump: `<prefix>/<tenant>/<UTC time>-<job>-<random>.dump`.
pub fn dump_key(
    objects: Option<&super::ObjectStore>,
    tenant: &str,
    job: &str,
    at_ms: i64,
) -> String {
    let stamp = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at_ms)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default();
    let dir = objects.map(|o| o.tenant_dir(tenant)).unwrap_or_default();
    // A Job made again for the same slot never overwrites a catalogued dump.
    let nonce = crate::auth::random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 6);
    format!("{dir}{stamp}-{job}-{nonce}.dump")
}

/// The latest time (seconds) at or before `now_ms`, within a day, that the
/// five-field UTC `schedule` names; a slot missed by more than a day is
/// not made up.
pub fn latest_slot(schedule: &str, now_ms: i64) -> Option<i64> {
    use std::str::FromStr;
    let cron = croner::Cron::from_str(schedule).ok()?;
    let now = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(now_ms)?;
    let slot = cron.find_previous_occurrence(&now, true).ok()?;
    (now.signed_duration_since(slot) <= chrono::Duration::days(1)).then(|| slot.timestamp())
}

/// Records every finished backup Job in the tenants' namespaces that is not
/// catalogued yet (those the CronJobs and the schedule started), as the
/// index saw them finish: nothing is listed from the API. Only Jobs
/// labelled for a tenant and sitting in that tenant's own namespace count.
/// Returns how many were recorded.
pub async fn sweep(
    client: &kube::Client,
    store: &Store,
    objects: &super::ObjectStore,
    index: &ClusterIndex,
) -> Result<usize> {
    let done = index.finished_jobs("backup");
    if done.is_empty() {
        return Ok(0);
    }
    let finished: Vec<(&str, &str, &str)> = done
        .iter()
        .map(|(t, ns, name)| (t.as_str(), ns.as_str(), name.as_str()))
        .collect();
    let names: Vec<String> = finished.iter().map(|j| j.2.to_string()).collect();
    let known = store.recorded_backup_jobs(&names).await?;
    let mut recorded = 0;
    for (tenant, ns, name) in finished {
        if known.contains(&(tenant.to_string(), name.to_string())) {
            continue;
        }
        match record_job(client, store, (tenant, ns), (name, objects)).await {
            Ok(Some(_)) => recorded += 1,
            Ok(None) => {}
            Err(e) => tracing::warn!(tenant, job = name, error = %e, "could not record a backup"),
        }
    }
    Ok(recorded)
}

/// The leader starts the tiers' scheduled backups, records finished
/// backup Jobs as the index sees them finish, and forgets expired
/// catalogue rows.
pub fn spawn_sweeper(
    store: Store,
    engine: EngineSlot,
    index: Arc<ClusterIndex>,
    leader: crate::replicas::Leadership,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        let mut changes = index.subscribe();
        loop {
            // A Job changed (cataloguing only), or the schedule's tick.
            let scheduled = tokio::select! {
                _ = tick.tick() => true,
                change = changes.recv() => match change {
                    Ok(IndexChange::Object { kind: Kind::Job, name, .. })
                        if name.starts_with(BACKUP_JOB_PREFIX) => false,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => false,
                    Err(RecvError::Closed) => return,
                },
            };
            let Some(e) = engine.get() else { continue };
            if !leader.is_leader() {
                continue;
            }
            if let Some(objects) = e.runner.objects() {
                if let Err(err) = sweep(&e.cluster.client, &store, objects, &index).await {
                    tracing::warn!(error = %err, "could not record finished backups");
                }
            }
            if !scheduled {
                continue;
            }
            // The tiers' schedules: a Job per due slot.
            match e
                .runner
                .start_scheduled_backups(crate::store::now_ms())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "started scheduled backups"),
                Err(err) => tracing::warn!(error = %err, "could not start scheduled backups"),
            }
            let keep = i64::from(e.runner.backup_keep_days()) * 86_400_000;
            match store.expire_backups(crate::store::now_ms() - keep).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "forgot expired backups"),
                Err(err) => tracing::warn!(error = %err, "could not expire backups"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::latest_slot;

    #[test]
    fn the_latest_slot_of_a_schedule_within_a_day() {
        // 2026-12-06 07:30 UTC.
        let now = 1_796_542_200_000;
        assert_eq!(
            latest_slot("0 2 * * *", now),
            Some(1_796_522_400),
            "02:00 today"
        );
        assert_eq!(
            latest_slot("30 7 * * *", now),
            Some(now / 1000),
            "a slot right now counts"
        );
        assert_eq!(latest_slot("0 0 1 1 *", now), None, "none in the last day");
        assert_eq!(latest_slot("not a schedule", now), None);
    }
}
