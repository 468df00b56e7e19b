//! What DNS showed of tenants' custom domains: a domain is served once a
//! check found it pointing at the ingress, or staff let it through
//! (audited). Every write is guarded on the domain it judged, so a check
//! that finishes after the domain was changed records nothing.

use super::{now_ms, AuditEntry, Change, Store};
use crate::error::Result;

impl Store {
    /// Records a check of `domain` on tenant `id`: what it found, and (when
    /// `ok`) that the domain may be served. Nothing when the tenant's
    /// domain is another by now. Returns whether it was recorded.
    pub async fn record_domain_check(
        &self,
        id: &str,
        domain: &str,
        (ok, detail): (bool, &str),
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tenants SET domain_check = $3, domain_checked_at = $4, \
             domain_verified = CASE WHEN $5 = 1 THEN custom_domain ELSE domain_verified END \
             WHERE id = $1 AND custom_domain = $2",
        )
        .bind(id)
        .bind(domain)
        .bind(detail)
        .bind(now_ms())
        .bind(i64::from(ok))
        .execute(&self.pool)
        .await?;
        let recorded = done.rows_affected() > 0;
        if recorded {
            self.changed(Change::Tenant(id.to_string()));
        }
        Ok(recorded)
    }

    /// Lets `domain` be served without its DNS check (audited, naming what
    /// the last check found). Returns whether the tenant still had it.
    pub async fn override_domain_check(&self, id: &str, domain: &str, actor: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let last: Option<Option<String>> = sqlx::query_scalar(
            "SELECT domain_check FROM tenants WHERE id = $1 AND custom_domain = $2",
        )
        .bind(id)
        .bind(domain)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(last) = last else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE tenants SET domain_verified = custom_domain, domain_check = $3, domain_checked_at = $4 \
             WHERE id = $1 AND custom_domain = $2",
        )
        .bind(id)
        .bind(domain)
        .bind(format!("let through by {actor} without its DNS check"))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        AuditEntry::new(actor, "tenant.domain_override", "tenant", id)
            .detail(format!(
                "{domain} served without its DNS check (the last found: {})",
                last.unwrap_or_else(|| "not checked yet".into())
            ))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(true)
    }

    /// Tenants whose custom domain DNS holds back: (id, domain), oldest
    /// check first; gone tenants are not asked about.
    pub async fn held_domains(&self, limit: i64) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, custom_domain FROM tenants WHERE custom_domain IS NOT NULL \
             AND (domain_verified IS NULL OR domain_verified <> custom_domain) \
             AND state <> 'deprovisioned' \
             ORDER BY COALESCE(domain_checked_at, 0), id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
