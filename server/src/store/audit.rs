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

    /// A failed sign-in of `account` from `address`: folded into the event
    /// of the same account and address written within `window`, with a
    /// count ("from 10.0.0.7 (3 failed attempts)"), so a flood of guesses
    /// is a few events, not a trail no one can read.
    pub async fn audit_failed_sign_in(
        &self,
        account: &str,
        address: &str,
        window: std::time::Duration,
    ) -> Result<()> {
        let since = now_ms() - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let first = format!("from {address}");
        let lock = match self.backend {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        let mut tx = self.begin().await?;
        let found = sqlx::query_as::<_, (i64, String)>(&format!(
            "SELECT id, detail FROM audit_events WHERE action = 'auth.login_failed' \
             AND target_id = $1 AND at > $2 AND (detail = $3 OR substr(detail, 1, length($4)) = $4) \
             ORDER BY id DESC LIMIT 1{lock}"
        ))
        .bind(account)
        .bind(since)
        .bind(&first)
        .bind(format!("{first} ("))
        .fetch_optional(&mut *tx)
        .await?;
        match found {
            Some((id, detail)) => {
                let seen: i64 = detail
                    .strip_prefix(&format!("{first} ("))
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                sqlx::query("UPDATE audit_events SET detail = $2 WHERE id = $1")
                    .bind(id)
                    .bind(format!("{first} ({} failed attempts)", seen + 1))
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                AuditEntry::new(account, "auth.login_failed", "staff", account.to_string())
                    .detail(first)
                    .write(&mut tx)
                    .await?;
            }
        }
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

    /// Sends every event that passes `f` to `out`, newest first, in keyset
    /// chunks: each chunk is one short query (no connection is held while
    /// the reader is slow), and the bounded channel holds the reading back.
    /// A reader that takes nothing for `idle` ends the export. Returns how
    /// many were sent.
    pub async fn stream_audit(
        &self,
        f: &AuditFilter,
        out: tokio::sync::mpsc::Sender<AuditEventDto>,
        idle: std::time::Duration,
    ) -> Result<u64> {
        let mut sent = 0;
        let mut after: Option<(i64, i64)> = None;
        loop {
            let (clause, mut binds) = f.clause();
            let n = binds.len();
            let cursor = match after {
                Some((at, id)) => {
                    binds.extend([Bind::Int(at), Bind::Int(at), Bind::Int(id)]);
                    format!(
                        " AND (at < ${} OR (at = ${} AND id < ${}))",
                        n + 1,
                        n + 2,
                        n + 3
                    )
                }
                None => String::new(),
            };
            let sql = format!(
                "SELECT id, at, actor, action, target_kind, target_id, detail FROM audit_events \
                 WHERE {clause}{cursor} ORDER BY at DESC, id DESC LIMIT {EXPORT_CHUNK}"
            );
            let rows = bind_all(sqlx::query_as::<_, AuditRow>(&sql), &binds)
                .fetch_all(&self.pool)
                .await?;
            let last = rows.last().map(|r| (r.at, r.id));
            let full = rows.len() == EXPORT_CHUNK;
            for row in rows {
                match tokio::time::timeout(idle, out.send(row.into())).await {
                    Ok(Ok(())) => sent += 1,
                    // The reader went away, or stopped reading.
                    Ok(Err(_)) | Err(_) => return Ok(sent),
                }
            }
            match last {
                Some(l) if full => after = Some(l),
                _ => return Ok(sent),
            }
        }
    }
}

/// Events read per query of an export.
const EXPORT_CHUNK: usize = 500;

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
