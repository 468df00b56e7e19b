//! Rotations of a tenant's generated Secrets: when one was last started
//! (its Deployments' pod templates carry it), and which Secrets were made
//! anew since the credentials were last shown (their new values are shown
//! once more). Each write of the list is guarded on the list it read, so a
//! rotation finishing while staff look is neither lost nor shown twice.

use super::{AuditEntry, Change, Store};
use crate::error::Result;

/// The stored list, as names.
pub(super) fn names(stored: Option<&str>) -> Vec<String> {
    stored
        .unwrap_or_default()
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

impl Store {
    /// Records that a rotation of the tenant's Secrets starts at `at`
    /// (before its run is recorded: a rotation refused afterwards only
    /// rolls the pods once more at the next update).
    pub async fn stamp_secret_rotation(&self, id: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE tenants SET secrets_rotated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(())
    }

    /// Adds `rotated` to the Secrets whose new values are still to be
    /// shown.
    pub async fn note_rotated(&self, id: &str, rotated: &[String]) -> Result<()> {
        loop {
            let before: Option<Option<String>> =
                sqlx::query_scalar("SELECT credentials_rotated FROM tenants WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            let Some(before) = before else {
                return Ok(());
            };
            let mut list = names(before.as_deref());
            for name in rotated {
                if !list.contains(name) {
                    list.push(name.clone());
                }
            }
            let done = sqlx::query(
                "UPDATE tenants SET credentials_rotated = $2 \
                 WHERE id = $1 AND COALESCE(credentials_rotated, '') = $3",
            )
            .bind(id)
            .bind(list.join(","))
            .bind(before.unwrap_or_default())
            .execute(&self.pool)
            .await?;
            if done.rows_affected() > 0 {
                self.changed(Change::Tenant(id.to_string()));
                return Ok(());
            }
        }
    }

    /// Takes the rotated Secrets `expected` (as the tenant was read) to be
    /// shown now, audited: false when the list changed meanwhile (shown by
    /// someone else, or rotated again).
    pub async fn take_rotated(&self, id: &str, expected: &[String], actor: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE tenants SET credentials_rotated = NULL \
             WHERE id = $1 AND COALESCE(credentials_rotated, '') = $2",
        )
        .bind(id)
        .bind(expected.join(","))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 || expected.is_empty() {
            return Ok(false);
        }
        AuditEntry::new(actor, "tenant.credentials_shown", "tenant", id)
            .detail(format!("rotated: {}", expected.join(", ")))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(true)
    }
}
