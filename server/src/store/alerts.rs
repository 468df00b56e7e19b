//! Alerts and their history, silences, and rule overrides. Every alert
//! change that should reach people writes its notifications to the outbox
//! in the same transaction (see `store/outbox.rs`), so a crash between the
//! two loses nothing.

use app::domain::alerts::{fingerprint, Condition, RuleOverride};
use app::dto::{
    AlertDto, AlertEventDto, AlertQuery, AlertState, Page, RuleId, Severity, SilenceDto,
};
use sqlx::{Any, Transaction};

use super::outbox::NoticeKind;
use super::{now_ms, AuditEntry, Change, Store, SYSTEM};
use crate::error::{Result, ServerError};

/// An open alert as the evaluator sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAlert {
    pub id: i64,
    pub fingerprint: String,
    pub tenant_id: Option<String>,
    pub rule: RuleId,
    pub severity: Severity,
    pub state: AlertState,
    pub summary: String,
    pub started_at: i64,
    pub fired_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: i64,
    fingerprint: String,
    tenant_id: Option<String>,
    rule: String,
    subject: String,
    severity: String,
    state: String,
    summary: String,
    started_at: i64,
    fired_at: Option<i64>,
    acknowledged_at: Option<i64>,
    acknowledged_by: Option<String>,
    ack_note: Option<String>,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
}

const COLUMNS: &str = "id, fingerprint, tenant_id, rule, subject, severity, state, summary, \
     started_at, fired_at, acknowledged_at, acknowledged_by, ack_note, resolved_at, resolved_by";

impl AlertRow {
    fn dto(self) -> AlertDto {
        AlertDto {
            id: self.id,
            fingerprint: self.fingerprint,
            tenant_id: self.tenant_id,
            rule: RuleId::parse(&self.rule).unwrap_or(RuleId::TenantDown),
            subject: self.subject,
            severity: Severity::parse(&self.severity).unwrap_or(Severity::Warning),
            state: AlertState::parse(&self.state).unwrap_or(AlertState::Firing),
            summary: self.summary,
            started_at: self.started_at,
            fired_at: self.fired_at,
            acknowledged_at: self.acknowledged_at,
            acknowledged_by: self.acknowledged_by,
            ack_note: self.ack_note,
            resolved_at: self.resolved_at,
            resolved_by: self.resolved_by,
            silenced: false,
            history: vec![],
        }
    }
}

impl Store {
    pub(crate) async fn alert_event(
        tx: &mut Transaction<'static, Any>,
        alert: i64,
        kind: &str,
        (actor, note): (&str, Option<&str>),
    ) -> Result<()> {
        sqlx::query("INSERT INTO alert_events (alert_id, at, kind, actor, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(alert)
            .bind(now_ms())
            .bind(kind)
            .bind(actor)
            .bind(note)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    fn alert_changed(&self, id: i64, tenant: Option<&str>) {
        self.changed(Change::Alert(id));
        if let Some(t) = tenant {
            self.changed(Change::Tenant(t.to_string()));
        }
    }

    /// Every alert that is not resolved.
    pub async fn open_alerts(&self) -> Result<Vec<OpenAlert>> {
        let rows = sqlx::query_as::<_, AlertRow>(&format!(
            "SELECT {COLUMNS} FROM alerts WHERE state <> 'resolved'"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let d = r.dto();
                OpenAlert {
                    id: d.id,
                    fingerprint: d.fingerprint,
                    tenant_id: d.tenant_id,
                    rule: d.rule,
                    severity: d.severity,
                    state: d.state,
                    summary: d.summary,
                    started_at: d.started_at,
                    fired_at: d.fired_at,
                }
            })
            .collect())
    }

    /// Opens an alert for a condition: pending, or firing at once (its `for`
    /// has passed already), with its notifications. `None` when another
    /// open alert has its fingerprint (it is deduplicated).
    pub async fn open_alert(&self, c: &Condition, fire: bool) -> Result<Option<i64>> {
        let now = now_ms();
        let state = if fire { "firing" } else { "pending" };
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO alerts (fingerprint, tenant_id, rule, subject, severity, state, summary, \
             started_at, fired_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id",
        )
        .bind(c.fingerprint())
        .bind(c.tenant.clone())
        .bind(c.rule.as_str())
        .bind(&c.subject)
        .bind(c.severity.as_str())
        .bind(state)
        .bind(&c.summary)
        .bind(now)
        .bind(fire.then_some(now))
        .fetch_one(&mut *tx)
        .await;
        let id = match id {
            Ok(id) => id,
            Err(e) if crate::error::is_unique_violation(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Self::alert_event(&mut tx, id, state, (SYSTEM, Some(&c.summary))).await?;
        if fire {
            self.enqueue(&mut tx, NoticeKind::Firing, id, now).await?;
            Self::notified(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        self.alert_changed(id, c.tenant.as_deref());
        Ok(Some(id))
    }

    async fn notified(tx: &mut Transaction<'static, Any>, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE alerts SET last_notified_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A pending alert's `for` has passed: it fires and is announced.
    pub async fn fire_alert(&self, id: i64, severity: Severity, summary: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let tenant = sqlx::query_scalar::<_, Option<String>>(
            "UPDATE alerts SET state = 'firing', fired_at = $2, severity = $3, summary = $4, updated_at = $2 \
             WHERE id = $1 AND state = 'pending' RETURNING tenant_id",
        )
        .bind(id)
        .bind(now)
        .bind(severity.as_str())
        .bind(summary)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(tenant) = tenant else {
            return Ok(false);
        };
        Self::alert_event(&mut tx, id, "firing", (SYSTEM, Some(summary))).await?;
        self.enqueue(&mut tx, NoticeKind::Firing, id, now).await?;
        Self::notified(&mut tx, id, now).await?;
        tx.commit().await?;
        self.alert_changed(id, tenant.as_deref());
        Ok(true)
    }

    /// An open alert whose condition now reads differently: a worse
    /// severity of a fired alert is announced again.
    pub async fn revise_alert(
        &self,
        a: &OpenAlert,
        severity: Severity,
        summary: &str,
    ) -> Result<()> {
        let now = now_ms();
        let escalated = severity.rank() > a.severity.rank() && a.state != AlertState::Pending;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE alerts SET severity = $2, summary = $3, updated_at = $4 WHERE id = $1 AND state <> 'resolved'")
            .bind(a.id)
            .bind(severity.as_str())
            .bind(summary)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if escalated {
            Self::alert_event(&mut tx, a.id, "escalated", (SYSTEM, Some(summary))).await?;
            self.enqueue(&mut tx, NoticeKind::Firing, a.id, now).await?;
            Self::notified(&mut tx, a.id, now).await?;
        }
        tx.commit().await?;
        self.alert_changed(a.id, a.tenant_id.as_deref());
        Ok(())
    }

    /// Resolves an open alert, by itself (`by` = None) or by hand; one that
    /// had fired sends its resolve notice.
    pub async fn resolve_alert(
        &self,
        id: i64,
        by: Option<&str>,
        note: Option<&str>,
    ) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, (Option<String>, Option<i64>)>(
            "UPDATE alerts SET state = 'resolved', resolved_at = $2, resolved_by = $3, updated_at = $2 \
             WHERE id = $1 AND state <> 'resolved' RETURNING tenant_id, fired_at",
        )
        .bind(id)
        .bind(now)
        .bind(by)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((tenant, fired)) = row else {
            return Ok(false);
        };
        Self::alert_event(&mut tx, id, "resolved", (by.unwrap_or(SYSTEM), note)).await?;
        if fired.is_some() {
            self.enqueue(&mut tx, NoticeKind::Resolved, id, now).await?;
        }
        if let Some(actor) = by {
            AuditEntry::new(actor, "alert.resolve", "alert", id.to_string())
                .detail(note.unwrap_or_default())
                .write(&mut tx)
                .await?;
        }
        tx.commit().await?;
        self.alert_changed(id, tenant.as_deref());
        Ok(true)
    }

    /// Someone is on it: a firing alert is acknowledged and stops repeating.
    pub async fn ack_alert(&self, id: i64, actor: &str, note: Option<&str>) -> Result<AlertDto> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let tenant = sqlx::query_scalar::<_, Option<String>>(
            "UPDATE alerts SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, \
             ack_note = $4, updated_at = $2 WHERE id = $1 AND state = 'firing' RETURNING tenant_id",
        )
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(note)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServerError::Conflict(format!("Alert {id} is not firing: only a firing alert can be acknowledged.")))?;
        Self::alert_event(&mut tx, id, "acknowledged", (actor, note)).await?;
        AuditEntry::new(actor, "alert.acknowledge", "alert", id.to_string())
            .detail(note.unwrap_or_default())
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.alert_changed(id, tenant.as_deref());
        self.get_alert(id).await
    }

    /// Firing alerts that are not acknowledged get a repeat on each channel
    /// whose repeat interval has passed since that channel last told of
    /// them. Returns how many repeats were queued.
    pub async fn enqueue_repeats(&self) -> Result<usize> {
        let now = now_ms();
        let firing = sqlx::query_scalar::<_, i64>("SELECT id FROM alerts WHERE state = 'firing'")
            .fetch_all(&self.pool)
            .await?;
        let mut queued = 0;
        for id in firing {
            let mut tx = self.begin().await?;
            let n = self.enqueue_repeat(&mut tx, id, now).await?;
            tx.commit().await?;
            if n > 0 {
                queued += n;
                self.changed(Change::Alert(id));
            }
        }
        Ok(queued)
    }

    pub async fn get_alert(&self, id: i64) -> Result<AlertDto> {
        let row =
            sqlx::query_as::<_, AlertRow>(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| ServerError::NotFound(format!("Alert {id}")))?;
        let mut a = row.dto();
        a.history = sqlx::query_as::<_, (i64, String, String, Option<String>)>(
            "SELECT at, kind, actor, note FROM alert_events WHERE alert_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(at, kind, actor, note)| AlertEventDto {
            at,
            kind,
            actor,
            note,
        })
        .collect();
        a.silenced = self
            .silenced(a.tenant_id.as_deref(), a.rule, now_ms())
            .await?;
        Ok(a)
    }

    /// Alerts, newest first: open ones by default, filtered.
    pub async fn list_alerts(&self, q: &AlertQuery) -> Result<Page<AlertDto>> {
        let (page, per_page) = app::dto::page_bounds(q.page, q.per_page);
        let state = q.state.map(|s| s.as_str()).unwrap_or("");
        let severity = q.severity.map(|s| s.as_str()).unwrap_or("");
        let rule = q.rule.map(|r| r.as_str()).unwrap_or("");
        let filter = "WHERE (($1 = '' AND state <> 'resolved') OR state = $1) AND ($2 = '' OR severity = $2) \
                      AND ($3 = '' OR tenant_id = $3) AND ($4 = '' OR rule = $4)";
        let total = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM alerts {filter}"))
            .bind(state)
            .bind(severity)
            .bind(q.tenant.trim())
            .bind(rule)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query_as::<_, AlertRow>(&format!(
            "SELECT {COLUMNS} FROM alerts {filter} ORDER BY started_at DESC, id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(state)
        .bind(severity)
        .bind(q.tenant.trim())
        .bind(rule)
        .bind(i64::from(per_page))
        .bind(i64::from(page - 1) * i64::from(per_page))
        .fetch_all(&self.pool)
        .await?;
        let now = now_ms();
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let mut a = r.dto();
            a.silenced = self.silenced(a.tenant_id.as_deref(), a.rule, now).await?;
            items.push(a);
        }
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Firing alerts (acknowledged ones too) per severity, for the dashboard.
    pub async fn firing_by_severity(&self) -> Result<Vec<(Severity, i64)>> {
        let rows = sqlx::query_as::<_, (String, i64)>(
            "SELECT severity, COUNT(*) FROM alerts WHERE state IN ('firing', 'acknowledged') GROUP BY severity",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(Severity, i64)> = rows
            .into_iter()
            .filter_map(|(s, n)| Severity::parse(&s).map(|s| (s, n)))
            .collect();
        out.sort_by_key(|(s, _)| std::cmp::Reverse(s.rank()));
        Ok(out)
    }

    /// Whether an active silence covers (tenant, rule).
    pub async fn silenced(&self, tenant: Option<&str>, rule: RuleId, now: i64) -> Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM silences WHERE ended_at IS NULL AND ends_at > $1 \
             AND (tenant_id IS NULL OR tenant_id = $2) AND (rule IS NULL OR rule = $3)",
        )
        .bind(now)
        .bind(tenant)
        .bind(rule.as_str())
        .fetch_one(&self.pool)
        .await?
            > 0)
    }

    pub async fn create_silence(
        &self,
        (tenant, rule): (Option<&str>, Option<RuleId>),
        ends_at: i64,
        reason: &str,
        actor: &str,
    ) -> Result<SilenceDto> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO silences (tenant_id, rule, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(tenant)
        .bind(rule.map(|r| r.as_str()))
        .bind(ends_at)
        .bind(reason)
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        AuditEntry::new(actor, "alert.silence", "silence", id.to_string())
            .detail(format!(
                "tenant {} rule {} until {}: {reason}",
                tenant.unwrap_or("any"),
                rule.map(|r| r.as_str()).unwrap_or("any"),
                super::format_ms(ends_at)
            ))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Alert(0));
        Ok(SilenceDto {
            id,
            tenant_id: tenant.map(String::from),
            rule,
            ends_at,
            reason: reason.into(),
            created_by: actor.into(),
            created_at: now,
            ended_at: None,
        })
    }

    pub async fn end_silence(&self, id: i64, actor: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let done =
            sqlx::query("UPDATE silences SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
                .bind(id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(ServerError::NotFound(format!("Active silence {id}")));
        }
        AuditEntry::new(actor, "alert.unsilence", "silence", id.to_string())
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Alert(0));
        Ok(())
    }

    /// Silences still in force, soonest to end first.
    pub async fn active_silences(&self) -> Result<Vec<SilenceDto>> {
        let rows = sqlx::query_as::<
            _,
            (
                i64,
                Option<String>,
                Option<String>,
                i64,
                String,
                String,
                i64,
            ),
        >(
            "SELECT id, tenant_id, rule, ends_at, reason, created_by, created_at FROM silences \
             WHERE ended_at IS NULL AND ends_at > $1 ORDER BY ends_at",
        )
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, tenant_id, rule, ends_at, reason, created_by, created_at)| SilenceDto {
                    id,
                    tenant_id,
                    rule: rule.as_deref().and_then(RuleId::parse),
                    ends_at,
                    reason,
                    created_by,
                    created_at,
                    ended_at: None,
                },
            )
            .collect())
    }

    /// Every override: (scope, scope id, rule, what it changes).
    pub async fn rule_overrides(&self) -> Result<Vec<(String, String, RuleId, RuleOverride)>> {
        type Row = (
            String,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<f64>,
            Option<f64>,
            Option<String>,
        );
        let rows = sqlx::query_as::<_, Row>(
            "SELECT scope, scope_id, rule, enabled, severity, for_secs, threshold, critical, expression \
             FROM alert_rule_overrides",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(
                    scope,
                    id,
                    rule,
                    enabled,
                    severity,
                    for_secs,
                    threshold,
                    critical,
                    expression,
                )| {
                    Some((
                        scope,
                        id,
                        RuleId::parse(&rule)?,
                        RuleOverride {
                            enabled: enabled.map(|e| e != 0),
                            severity: severity.as_deref().and_then(Severity::parse),
                            for_secs,
                            threshold,
                            critical,
                            expression,
                        },
                    ))
                },
            )
            .collect())
    }

    /// Sets (or, when `o` is empty, removes) one override, audited.
    pub async fn set_rule_override(
        &self,
        (scope, scope_id): (&str, &str),
        rule: RuleId,
        o: &RuleOverride,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "DELETE FROM alert_rule_overrides WHERE scope = $1 AND scope_id = $2 AND rule = $3",
        )
        .bind(scope)
        .bind(scope_id)
        .bind(rule.as_str())
        .execute(&mut *tx)
        .await?;
        if !o.is_empty() {
            sqlx::query(
                "INSERT INTO alert_rule_overrides (scope, scope_id, rule, enabled, severity, for_secs, \
                 threshold, critical, updated_at, updated_by, expression) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(scope)
            .bind(scope_id)
            .bind(rule.as_str())
            .bind(o.enabled.map(i64::from))
            .bind(o.severity.map(|s| s.as_str()))
            .bind(o.for_secs)
            .bind(o.threshold)
            .bind(o.critical)
            .bind(now_ms())
            .bind(actor)
            .bind(o.expression.clone())
            .execute(&mut *tx)
            .await?;
        }
        AuditEntry::new(actor, "alert.rule_override", scope, scope_id)
            .detail(format!("{rule}: {o:?}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A tenant's alerts, newest first (open and recent).
    pub async fn alerts_for_tenant(&self, tenant: &str, limit: i64) -> Result<Vec<AlertDto>> {
        let rows = sqlx::query_as::<_, AlertRow>(&format!(
            "SELECT {COLUMNS} FROM alerts WHERE tenant_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
        ))
        .bind(tenant)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AlertRow::dto).collect())
    }

    /// The fingerprint of a hand-made test alert (for a channel's test).
    pub fn test_fingerprint(channel: i64) -> String {
        fingerprint(
            None,
            RuleId::WatchStale,
            &format!("test of channel {channel}"),
        )
    }
}
