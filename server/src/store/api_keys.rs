//! A tenant's API keys: only each key's SHA-256 is stored, and while a
//! rotation's overlap lasts, the hash it replaced with the time it ends.

use app::dto::ApiKeyDto;

use super::{now_ms, AuditEntry, Change, Store};
use crate::error::Result;

#[derive(sqlx::FromRow)]
struct KeyRow {
    name: String,
    key_hash: String,
    issued_at: i64,
    issued_by: String,
    previous_hash: Option<String>,
    previous_until: Option<i64>,
}

/// One key's hashes as the tenant's application receives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHashes {
    pub name: String,
    /// The current key's hash, then the replaced one's while its overlap
    /// lasts.
    pub hashes: Vec<String>,
}

/// A key issued now.
pub struct NewKeyHash<'a> {
    pub tenant_id: &'a str,
    pub name: &'a str,
    pub hash: &'a str,
    /// Until when the key it replaces stays valid (ms); `None`: it stops
    /// at once.
    pub overlap_until: Option<i64>,
}

impl Store {
    /// The tenant's issued keys (never their hashes), by name.
    pub async fn api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKeyDto>> {
        Ok(self
            .key_rows(tenant_id)
            .await?
            .into_iter()
            .map(|r| ApiKeyDto {
                name: r.name,
                issued_at: Some(r.issued_at),
                issued_by: Some(r.issued_by),
                previous_until: r.previous_hash.and(r.previous_until),
            })
            .collect())
    }

    /// The hashes the tenant's application accepts, by key name.
    pub async fn api_key_hashes(&self, tenant_id: &str) -> Result<Vec<KeyHashes>> {
        Ok(self
            .key_rows(tenant_id)
            .await?
            .into_iter()
            .map(|r| KeyHashes {
                name: r.name,
                hashes: std::iter::once(r.key_hash).chain(r.previous_hash).collect(),
            })
            .collect())
    }

    async fn key_rows(&self, tenant_id: &str) -> Result<Vec<KeyRow>> {
        Ok(sqlx::query_as::<_, KeyRow>(
            "SELECT name, key_hash, issued_at, issued_by, previous_hash, previous_until \
             FROM tenant_api_keys WHERE tenant_id = $1 ORDER BY name",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores a key's hash, with its audit event. A key issued for the
    /// first time needs `first`: it is stored only while the name has no
    /// key (two clicks cannot both issue one; `false` when another did). A
    /// rotation replaces the current hash, keeping it as the previous one
    /// until `overlap_until` (a previous one still overlapping is dropped:
    /// at most two keys are ever valid).
    pub async fn issue_api_key(
        &self,
        k: NewKeyHash<'_>,
        first: bool,
        audit: AuditEntry<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let done = if first {
            sqlx::query(
                "INSERT INTO tenant_api_keys (tenant_id, name, key_hash, issued_at, issued_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, name) DO NOTHING",
            )
            .bind(k.tenant_id)
            .bind(k.name)
            .bind(k.hash)
            .bind(now)
            .bind(audit.actor)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "INSERT INTO tenant_api_keys (tenant_id, name, key_hash, issued_at, issued_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, name) DO UPDATE SET \
                 previous_hash = CASE WHEN $6 IS NULL THEN NULL ELSE tenant_api_keys.key_hash END, \
                 previous_until = $6, key_hash = $3, issued_at = $4, issued_by = $5",
            )
            .bind(k.tenant_id)
            .bind(k.name)
            .bind(k.hash)
            .bind(now)
            .bind(audit.actor)
            .bind(k.overlap_until)
            .execute(&mut *tx)
            .await?
        };
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        audit.write(&mut tx).await?;
        tx.commit().await?;
        self.changed(Change::Tenant(k.tenant_id.to_string()));
        Ok(true)
    }

    /// Ends every overlap whose time has come by `now`: the replaced
    /// hashes are dropped (each guarded on the very hash and time it
    /// clears, so a rotation meanwhile is never undone), with an audit
    /// event each. Returns the tenants whose keys changed.
    pub async fn end_key_overlaps(&self, now: i64) -> Result<Vec<String>> {
        let due: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT tenant_id, name, previous_hash, previous_until FROM tenant_api_keys \
             WHERE previous_until IS NOT NULL AND previous_until <= $1 AND previous_hash IS NOT NULL",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut tenants = vec![];
        for (tenant, name, hash, until) in due {
            let mut tx = self.begin().await?;
            let done = sqlx::query(
                "UPDATE tenant_api_keys SET previous_hash = NULL, previous_until = NULL \
                 WHERE tenant_id = $1 AND name = $2 AND previous_hash = $3 AND previous_until = $4",
            )
            .bind(&tenant)
            .bind(&name)
            .bind(&hash)
            .bind(until)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                continue;
            }
            AuditEntry::new(
                super::SYSTEM,
                "tenant.api_key_overlap_ended",
                "tenant",
                &tenant,
            )
            .detail(format!("the key {name} replaced is no longer accepted"))
            .write(&mut tx)
            .await?;
            tx.commit().await?;
            self.changed(Change::Tenant(tenant.clone()));
            if !tenants.contains(&tenant) {
                tenants.push(tenant);
            }
        }
        Ok(tenants)
    }
}
