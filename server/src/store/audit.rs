//! Audit events: written in the same transaction as the change they record,
//! so there is never a change without its event or an event without its change.

use app::dto::{AuditEventDto, Page};
use sqlx::{Any, Transaction};

use super::{like_pattern, now_ms, Store};
use crate::error::Result;

/// An event about to be written.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: String,
    pub detail: String,
}

impl<'a> AuditEntry<'a> {
    pub fn new(
        actor: &'a str,
        action: &'a str,
        target_kind: &'a str,
        target_id: impl Into<String>,
    ) -> Self {
        Self {
            actor,
            action,
            target_kind,
            target_id: target_id.into(),
            detail: String::new(),
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub(crate) async fn write(&self, tx: &mut Transaction<'_, Any>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_events (at, actor, action, target_kind, target_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now_ms())
        .bind(self.actor)
        .bind(self.action)
        .bind(self.target_kind)
        .bind(&self.target_id)
        .bind(&self.detail)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target_kind: String,
    target_id: String,
    detail: String,
}

impl From<AuditRow> for AuditEventDto {
    fn from(r: AuditRow) -> Self {
        AuditEventDto {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            detail: r.detail,
        }
    }
}

const SEARCH: &str = "LOWER(actor || ' ' || action || ' ' || target_kind || ' ' || target_id || ' ' || detail) LIKE $1 ESCAPE '\\'";

impl Store {
    /// An event outside any other change (sign-in, sign-out).
    pub async fn write_audit(&self, entry: AuditEntry<'_>) -> Result<()> {
        let mut tx = self.begin().await?;
        entry.write(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_audit(
        &self,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEventDto>> {
        let pattern = like_pattern(q.trim());
        let total = sqlx::query_scalar::<_, i64>(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE {SEARCH}"
        ))
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT id, at, actor, action, target_kind, target_id, detail FROM audit_events \
             WHERE {SEARCH} ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(&pattern)
        .bind(i64::from(per_page))
        .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
        .fetch_all(&self.pool)
        .await?;
        Ok(Page {
            items: rows.into_iter().map(Into::into).collect(),
            total,
            page,
            per_page,
        })
    }
}
