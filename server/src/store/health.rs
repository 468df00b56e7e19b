//! Each tenant's health history, and its lifecycle state as health moves it.

use app::dto::{Health, HealthEventDto};

use super::Store;
use crate::error::Result;

/// Transitions kept per tenant for the tenant page.
pub const HISTORY_SHOWN: i64 = 50;

impl Store {
    /// Records a tenant's health as the index now derives it: stored on
    /// the tenant (what the health filter of the list reads) and, when it
    /// moved, kept in the history. Returns whether it moved; the same
    /// health again (a restart, a second replica) writes nothing.
    pub async fn record_health(
        &self,
        tenant: &str,
        health: Health,
        reason: Option<&str>,
        at: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = sqlx::query("UPDATE tenants SET health = $2 WHERE id = $1 AND health <> $2")
            .bind(tenant)
            .bind(health.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if moved {
            sqlx::query(
                "INSERT INTO health_history (tenant_id, at, health, reason) VALUES ($1, $2, $3, $4)",
            )
            .bind(tenant)
            .bind(at)
            .bind(health.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// A tenant's latest health transitions, newest first.
    pub async fn health_history(&self, tenant: &str) -> Result<Vec<HealthEventDto>> {
        let rows = sqlx::query_as::<_, (i64, String, Option<String>)>(
            "SELECT at, health, reason FROM health_history WHERE tenant_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(tenant)
        .bind(HISTORY_SHOWN)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, health, reason)| HealthEventDto {
                at,
                health: Health::parse(&health).unwrap_or(Health::Unknown),
                reason,
            })
            .collect())
    }
}
