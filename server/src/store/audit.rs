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

    /// Events whose text has `words`, newest first.
    pub async fn list_audit(
        &self,
        words: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEventDto>> {
        let filter = AuditFilter {
            words: words.to_string(),
            ..Default::default()
        };
        self.search_audit(&filter, page, per_page).await
    }

    /// Events that pass `f`, newest first, one page of them.
    pub async fn search_audit(
        &self,
        f: &AuditFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditEventDto>> {
        let (clause, binds) = f.clause();
        let n = binds.len();
        let count = format!("SELECT COUNT(*) FROM audit_events WHERE {clause}");
        let (total,) = bind_all(sqlx::query_as::<_, (i64,)>(&count), &binds)
            .fetch_one(&self.pool)
            .await?;
        let sql = format!(
            "SELECT id, at, actor, action, target_kind, target_id, detail FROM audit_events \
             WHERE {clause} ORDER BY at DESC, id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = bind_all(sqlx::query_as::<_, AuditRow>(&sql), &binds)
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

    /// Sends every event that passes `f` to `out`, newest first, as the
    /// database yields them (an export never holds the trail in memory:
    /// the bounded channel holds the reader back). Returns how many.
    pub async fn stream_audit(
        &self,
        f: &AuditFilter,
        out: tokio::sync::mpsc::Sender<AuditEventDto>,
    ) -> Result<u64> {
        use futures::TryStreamExt;
        let (clause, binds) = f.clause();
        let sql = format!(
            "SELECT id, at, actor, action, target_kind, target_id, detail FROM audit_events \
             WHERE {clause} ORDER BY at DESC, id DESC"
        );
        let mut rows = bind_all(sqlx::query_as::<_, AuditRow>(&sql), &binds).fetch(&self.pool);
        let mut sent = 0;
        while let Some(row) = rows.try_next().await? {
            if out.send(row.into()).await.is_err() {
                break; // the client went away
            }
            sent += 1;
        }
        Ok(sent)
    }
}

/// Which events a search or export covers; empty parts do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Words anywhere in the event.
    pub words: String,
    pub actor: String,
    /// An action, or a family ending in "." ("tenant.").
    pub action: String,
    /// Events about this tenant.
    pub tenant: String,
    /// From this time (ms), inclusive.
    pub from_ms: Option<i64>,
    /// Before this time (ms).
    pub until_ms: Option<i64>,
}

/// A bound value of a filter.
enum Bind {
    Text(String),
    Int(i64),
}

impl AuditFilter {
    /// The WHERE clause and its values, numbered from $1.
    fn clause(&self) -> (String, Vec<Bind>) {
        let mut parts: Vec<String> = vec![];
        let mut binds = vec![];
        let mut push = |sql: &str, b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            parts.push(sql.replace('?', &format!("${}", binds.len())));
        };
        if !self.words.trim().is_empty() {
            let pattern = like_pattern(self.words.trim());
            push(&SEARCH.replace("$1", "?"), Bind::Text(pattern), &mut binds);
        }
        if !self.actor.is_empty() {
            push("actor = ?", Bind::Text(self.actor.clone()), &mut binds);
        }
        if let Some(family) = self.action.strip_suffix('.') {
            let pattern = format!("{}.%", like_pattern(family).trim_matches('%'));
            push("action LIKE ? ESCAPE '\\'", Bind::Text(pattern), &mut binds);
        } else if !self.action.is_empty() {
            push("action = ?", Bind::Text(self.action.clone()), &mut binds);
        }
        if !self.tenant.is_empty() {
            push(
                "target_kind = 'tenant' AND target_id = ?",
                Bind::Text(self.tenant.clone()),
                &mut binds,
            );
        }
        if let Some(ms) = self.from_ms {
            push("at >= ?", Bind::Int(ms), &mut binds);
        }
        if let Some(ms) = self.until_ms {
            push("at < ?", Bind::Int(ms), &mut binds);
        }
        if parts.is_empty() {
            return ("1 = 1".into(), binds);
        }
        (parts.join(" AND "), binds)
    }
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t.as_str()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}
