//! The backup catalogue: what reached the object store, what retention
//! pruned, and how long a gone tenant's dumps stay listed.

use app::dto::{BackupDto, BackupMethod};

use super::{now_ms, Store};
use crate::error::{Result, ServerError};

#[derive(sqlx::FromRow)]
struct BackupRow {
    id: i64,
    tenant_id: String,
    method: String,
    run_id: Option<i64>,
    taken_at: i64,
    location: String,
    size_bytes: i64,
    sha256: String,
    pruned_at: Option<i64>,
}

impl From<BackupRow> for BackupDto {
    fn from(r: BackupRow) -> Self {
        BackupDto {
            id: r.id,
            tenant_id: r.tenant_id,
            method: BackupMethod::parse(&r.method).unwrap_or(BackupMethod::Scheduled),
            run_id: r.run_id,
            taken_at: r.taken_at,
            location: r.location,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            pruned_at: r.pruned_at,
        }
    }
}

const COLUMNS: &str =
    "id, tenant_id, method, run_id, taken_at, location, size_bytes, sha256, pruned_at";

/// A finished dump, as its Job reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBackup {
    pub tenant_id: String,
    /// The Job that made it: one row per Job, however often it is seen.
    pub job: String,
    pub method: BackupMethod,
    pub run_id: Option<i64>,
    pub taken_at: i64,
    pub location: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl Store {
    /// Records a dump (once per Job), then marks what falls beyond the
    /// newest `retain` as pruned. Returns the row, new or already there, and
    /// the locations it marked pruned now (for the caller to delete: the
    /// catalogue decides, never the bucket's listing).
    pub async fn record_backup(
        &self,
        b: &NewBackup,
        retain: u32,
    ) -> Result<(BackupDto, Vec<String>)> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO backups (tenant_id, job, method, run_id, taken_at, location, size_bytes, sha256, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, job) DO NOTHING",
        )
        .bind(&b.tenant_id)
        .bind(&b.job)
        .bind(b.method.as_str())
        .bind(b.run_id)
        .bind(b.taken_at)
        .bind(&b.location)
        .bind(b.size_bytes)
        .bind(&b.sha256)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let mut pruned = vec![];
        if retain > 0 {
            let beyond = sqlx::query_as::<_, (i64, String)>(
                "SELECT id, location FROM backups WHERE tenant_id = $1 AND pruned_at IS NULL \
                 AND id NOT IN (SELECT id FROM backups WHERE tenant_id = $1 AND pruned_at IS NULL \
                 ORDER BY taken_at DESC, id DESC LIMIT $2)",
            )
            .bind(&b.tenant_id)
            .bind(i64::from(retain))
            .fetch_all(&mut *tx)
            .await?;
            for (id, location) in beyond {
                sqlx::query(
                    "UPDATE backups SET pruned_at = $2 WHERE id = $1 AND pruned_at IS NULL",
                )
                .bind(id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                pruned.push(location);
            }
        }
        let row = sqlx::query_as::<_, BackupRow>(&format!(
            "SELECT {COLUMNS} FROM backups WHERE tenant_id = $1 AND job = $2"
        ))
        .bind(&b.tenant_id)
        .bind(&b.job)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        // The tenant's last backup moved: its page and the list re-read it.
        self.changed(super::Change::Tenant(b.tenant_id.clone()));
        Ok((row.into(), pruned))
    }

    /// Which of these Jobs' dumps are catalogued already, as (tenant, Job).
    pub async fn recorded_backup_jobs(
        &self,
        jobs: &[String],
    ) -> Result<std::collections::HashSet<(String, String)>> {
        if jobs.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT tenant_id, job FROM backups WHERE job IN ({})",
            super::placeholders(1, jobs.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for job in jobs {
            query = query.bind(job.clone());
        }
        Ok(query.fetch_all(&self.pool).await?.into_iter().collect())
    }

    /// The tenant's backups, newest first (pruned ones included, marked).
    pub async fn list_backups(&self, tenant: &str, limit: i64) -> Result<Vec<BackupDto>> {
        let rows = sqlx::query_as::<_, BackupRow>(&format!(
            "SELECT {COLUMNS} FROM backups WHERE tenant_id = $1 ORDER BY taken_at DESC, id DESC LIMIT $2"
        ))
        .bind(tenant)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn get_backup(&self, id: i64) -> Result<BackupDto> {
        sqlx::query_as::<_, BackupRow>(&format!("SELECT {COLUMNS} FROM backups WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(Into::into)
            .ok_or_else(|| ServerError::NotFound(format!("Backup {id}")))
    }

    /// For the backup-age rule: each live tenant (of `scope`, or all) whose
    /// tier has backups, with its newest backup in the store and its
    /// creation time.
    pub async fn backup_watch(
        &self,
        scope: Option<&[String]>,
    ) -> Result<std::collections::HashMap<String, (Option<i64>, i64)>> {
        if scope.is_some_and(<[String]>::is_empty) {
            return Ok(Default::default());
        }
        const LIVE: &str = "t.state IN ('active', 'degraded')";
        // Each template version in use is read once, not once per tenant.
        let versions = sqlx::query_as::<_, (i64, i64, String)>(&format!(
            "SELECT DISTINCT v.template_id, v.version, v.spec FROM template_versions v JOIN tenants t \
             ON v.template_id = t.template_id AND v.version = t.template_version WHERE {LIVE}"
        ))
        .fetch_all(&self.pool)
        .await?;
        let with_backups: std::collections::HashSet<(i64, i64)> = versions
            .into_iter()
            .filter(|v| {
                serde_json::from_str::<app::dto::TierSpec>(&v.2).is_ok_and(|s| s.backup_enabled)
            })
            .map(|(id, version, _)| (id, version))
            .collect();
        let only = scope.map_or(String::new(), |ids| {
            format!(" AND t.id IN ({})", super::placeholders(1, ids.len()))
        });
        let sql = format!(
            "SELECT t.id, t.template_id, t.template_version, t.created_at, \
             (SELECT MAX(b.taken_at) FROM backups b WHERE b.tenant_id = t.id AND b.pruned_at IS NULL) \
             FROM tenants t WHERE {LIVE}{only}"
        );
        let mut query = sqlx::query_as::<_, (String, i64, i64, i64, Option<i64>)>(&sql);
        for id in scope.unwrap_or_default() {
            query = query.bind(id.clone());
        }
        Ok(query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .filter(|t| with_backups.contains(&(t.1, t.2)))
            .map(|(id, _, _, created, last)| (id, (last, created)))
            .collect())
    }

    /// Forgets backups taken before `before` (ms) that are pruned or belong
    /// to a tenant that is deprovisioned or gone: a deprovisioned tenant's
    /// dumps stay listed (and restorable into a new tenant by hand) for the
    /// keep period. Returns how many rows went.
    pub async fn expire_backups(&self, before: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM backups WHERE taken_at < $1 AND (pruned_at IS NOT NULL \
             OR tenant_id NOT IN (SELECT id FROM tenants WHERE state <> 'deprovisioned'))",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
