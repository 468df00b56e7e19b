//! Notification channels and the outbox. A notification is written in the
//! same transaction as the alert change it tells of; the deliverer sends it
//! at least once (every message carries its idempotency key), and the rows
//! stay as the delivery log. A burst of alerts within a channel's group
//! window becomes one message.

use app::dto::{ChannelDto, ChannelKind, NotificationDto, RuleId, Severity};
use sqlx::{Any, Transaction};

use super::{now_ms, AuditEntry, Change, Store};
use crate::error::{Result, ServerError};

/// What a notification tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Firing,
    Repeat,
    Resolved,
    Test,
    /// A message to a tenant's owner (see `store::owner_messages`).
    Owner,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Firing => "firing",
            NoticeKind::Repeat => "repeat",
            NoticeKind::Resolved => "resolved",
            NoticeKind::Test => "test",
            NoticeKind::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> NoticeKind {
        match s {
            "repeat" => NoticeKind::Repeat,
            "resolved" => NoticeKind::Resolved,
            "test" => NoticeKind::Test,
            "owner" => NoticeKind::Owner,
            _ => NoticeKind::Firing,
        }
    }
}

/// A stored channel, its secret still sealed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// JSON of the settings that are not secret.
    pub settings: String,
    /// Sealed with the configured key (see `alerts::seal`).
    pub secret: Option<String>,
    pub min_severity: String,
    pub template_ids: String,
    pub tenant_ids: String,
    pub group_window_secs: i64,
    pub repeat_secs: i64,
    pub send_resolved: i64,
    pub enabled: i64,
}

const CHANNEL_COLUMNS: &str =
    "id, name, kind, settings, secret, min_severity, template_ids, tenant_ids, \
     group_window_secs, repeat_secs, send_resolved, enabled";

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

impl ChannelRow {
    pub fn kind(&self) -> ChannelKind {
        ChannelKind::parse(&self.kind).unwrap_or(ChannelKind::Webhook)
    }

    /// Whether an alert of `severity` about `tenant` (on `template`) goes here.
    pub fn routes(&self, severity: Severity, tenant: Option<&str>, template: Option<i64>) -> bool {
        let min = Severity::parse(&self.min_severity).unwrap_or(Severity::Warning);
        let templates = list(&self.template_ids);
        let tenants = list(&self.tenant_ids);
        self.enabled != 0
            && severity.rank() >= min.rank()
            && (templates.is_empty()
                || template.is_some_and(|t| templates.contains(&t.to_string())))
            && (tenants.is_empty() || tenant.is_some_and(|t| tenants.iter().any(|x| x == t)))
    }

    /// The page's view: settings that are not secret, never the secret.
    pub fn dto(&self) -> ChannelDto {
        let settings: serde_json::Value = serde_json::from_str(&self.settings).unwrap_or_default();
        let target = match self.kind() {
            ChannelKind::Email => format!(
                "{} via {}:{}",
                settings["to"].as_str().unwrap_or(""),
                settings["host"].as_str().unwrap_or(""),
                settings["port"].as_u64().unwrap_or(0)
            ),
            ChannelKind::Webhook | ChannelKind::Pagerduty => {
                settings["url"].as_str().unwrap_or("").to_string()
            }
            ChannelKind::Slack => "Slack incoming webhook".into(),
        };
        ChannelDto {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind(),
            target,
            min_severity: Severity::parse(&self.min_severity).unwrap_or(Severity::Warning),
            template_ids: list(&self.template_ids)
                .iter()
                .filter_map(|t| t.parse().ok())
                .collect(),
            tenant_ids: list(&self.tenant_ids),
            group_window_secs: self.group_window_secs,
            repeat_secs: self.repeat_secs,
            send_resolved: self.send_resolved != 0,
            enabled: self.enabled != 0,
            has_secret: self.secret.is_some(),
            form: app::dto::ChannelForm {
                name: self.name.clone(),
                kind: self.kind.clone(),
                email_to: settings["to"].as_str().unwrap_or("").into(),
                email_from: settings["from"].as_str().unwrap_or("").into(),
                smtp_host: settings["host"].as_str().unwrap_or("").into(),
                smtp_port: settings["port"]
                    .as_u64()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                smtp_tls: settings["tls"].as_str().unwrap_or("").into(),
                smtp_user: settings["user"].as_str().unwrap_or("").into(),
                owner_rules: settings["owner_rules"].as_str().unwrap_or("").into(),
                url: settings["url"].as_str().unwrap_or("").into(),
                secret: String::new(),
                ca_cert: settings["ca_cert"].as_str().unwrap_or("").into(),
                min_severity: self.min_severity.clone(),
                template_ids: self.template_ids.clone(),
                tenant_ids: self.tenant_ids.clone(),
                group_window_secs: self.group_window_secs.to_string(),
                repeat_secs: self.repeat_secs.to_string(),
                send_resolved: self.send_resolved != 0,
                enabled: self.enabled != 0,
            },
        }
    }
}

/// A channel about to be stored.
/// What a save does to a channel's secret.
pub enum SecretUpdate<'a> {
    /// Keep the stored one (an edit that changes neither kind nor
    /// destination), or none on a new channel.
    Keep,
    /// Seal a new one for the row's ID, once it is known (bound to it: see
    /// `alerts::seal`), in the save's transaction.
    Seal(Box<dyn FnOnce(i64) -> Result<String> + Send + 'a>),
}

pub struct NewChannel<'a> {
    pub name: &'a str,
    pub kind: ChannelKind,
    pub settings: serde_json::Value,
    /// The channel's secret: kept as stored, or sealed for the saved row.
    pub secret: SecretUpdate<'a>,
    pub min_severity: Severity,
    pub template_ids: &'a [i64],
    pub tenant_ids: &'a [String],
    pub group_window_secs: i64,
    pub repeat_secs: i64,
    pub send_resolved: bool,
    pub enabled: bool,
}

/// How long a deliverer's claim on a notification keeps it from the
/// others: longer than any one delivery may take (HTTP gives up after 15 s).
pub const NOTICE_CLAIM: std::time::Duration = std::time::Duration::from_secs(120);

/// A notification that is due.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueNotice {
    pub id: i64,
    pub channel_id: i64,
    pub kind: String,
    pub alert_ids: String,
    pub idempotency_key: String,
    pub attempts: i64,
    /// An owner message's tenant and which message it is; its group is
    /// the run it tells of.
    pub tenant_id: Option<String>,
    pub message: Option<String>,
    pub group_key: String,
}

impl DueNotice {
    pub fn alerts(&self) -> Vec<i64> {
        list(&self.alert_ids)
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    }
}

impl Store {
    async fn channels_in(tx: &mut Transaction<'static, Any>) -> Result<Vec<ChannelRow>> {
        Ok(sqlx::query_as::<_, ChannelRow>(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE enabled = 1 ORDER BY id"
        ))
        .fetch_all(&mut **tx)
        .await?)
    }

    /// Queues `kind` about alert `id` on every channel it routes to,
    /// joining a message still waiting out its group window. A silenced
    /// alert queues nothing (the silence is recorded on the alert).
    pub(crate) async fn enqueue(
        &self,
        tx: &mut Transaction<'static, Any>,
        kind: NoticeKind,
        id: i64,
        now: i64,
    ) -> Result<usize> {
        let (tenant, rule, severity) = sqlx::query_as::<_, (Option<String>, String, String)>(
            "SELECT tenant_id, rule, severity FROM alerts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let rule = RuleId::parse(&rule).unwrap_or(RuleId::TenantDown);
        if self.silenced(tenant.as_deref(), rule, now).await? {
            Self::alert_event(tx, id, "silenced", (super::SYSTEM, Some(kind.as_str()))).await?;
            return Ok(0);
        }
        let template = match &tenant {
            Some(t) => {
                sqlx::query_scalar::<_, i64>("SELECT template_id FROM tenants WHERE id = $1")
                    .bind(t)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        let severity = Severity::parse(&severity).unwrap_or(Severity::Warning);
        let mut queued = 0;
        for ch in Self::channels_in(tx).await? {
            if !ch.routes(severity, tenant.as_deref(), template) {
                continue;
            }
            if kind == NoticeKind::Resolved && ch.send_resolved == 0 {
                continue;
            }
            let waiting = sqlx::query_as::<_, (i64, String)>(
                "SELECT id, alert_ids FROM notifications WHERE channel_id = $1 AND group_key = $2 \
                 AND state = 'pending' AND attempts = 0 AND not_before > $3 ORDER BY id LIMIT 1",
            )
            .bind(ch.id)
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(&mut **tx)
            .await?;
            match waiting {
                Some((nid, ids)) if !list(&ids).contains(&id.to_string()) => {
                    sqlx::query("UPDATE notifications SET alert_ids = $2 WHERE id = $1")
                        .bind(nid)
                        .bind(format!("{ids},{id}"))
                        .execute(&mut **tx)
                        .await?;
                }
                Some(_) => {}
                None => {
                    let delay = if kind == NoticeKind::Repeat {
                        0
                    } else {
                        ch.group_window_secs * 1000
                    };
                    Self::insert_notice(tx, ch.id, kind, &id.to_string(), now + delay).await?;
                }
            }
            queued += 1;
        }
        Ok(queued)
    }

    async fn insert_notice(
        tx: &mut Transaction<'static, Any>,
        channel: i64,
        kind: NoticeKind,
        alert_ids: &str,
        not_before: i64,
    ) -> Result<i64> {
        let key = crate::auth::random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO notifications (channel_id, kind, group_key, alert_ids, idempotency_key, state, \
             attempts, not_before, created_at) VALUES ($1, $2, $2, $3, $4, 'pending', 0, $5, $6) RETURNING id",
        )
        .bind(channel)
        .bind(kind.as_str())
        .bind(alert_ids)
        .bind(format!("tenantry-{key}"))
        .bind(not_before)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Repeats of firing alert `id` on channels whose repeat interval passed.
    pub(crate) async fn enqueue_repeat(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: i64,
        now: i64,
    ) -> Result<usize> {
        let (tenant, rule, severity) = sqlx::query_as::<_, (Option<String>, String, String)>(
            "SELECT tenant_id, rule, severity FROM alerts WHERE id = $1 AND state = 'firing'",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let rule = RuleId::parse(&rule).unwrap_or(RuleId::TenantDown);
        if self.silenced(tenant.as_deref(), rule, now).await? {
            return Ok(0);
        }
        let severity = Severity::parse(&severity).unwrap_or(Severity::Warning);
        let template = match &tenant {
            Some(t) => {
                sqlx::query_scalar::<_, i64>("SELECT template_id FROM tenants WHERE id = $1")
                    .bind(t)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        let mut queued = 0;
        for ch in Self::channels_in(tx).await? {
            if ch.repeat_secs <= 0 || !ch.routes(severity, tenant.as_deref(), template) {
                continue;
            }
            let last = sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(created_at) FROM notifications WHERE channel_id = $1 \
                 AND kind IN ('firing', 'repeat') AND (',' || alert_ids || ',') LIKE $2",
            )
            .bind(ch.id)
            .bind(format!("%,{id},%"))
            .fetch_one(&mut **tx)
            .await?;
            if last.is_some_and(|t| now - t >= ch.repeat_secs * 1000) {
                Self::insert_notice(tx, ch.id, NoticeKind::Repeat, &id.to_string(), now).await?;
                Self::alert_event(tx, id, "repeat", (super::SYSTEM, Some(&ch.name))).await?;
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// A test message on one channel, sent as soon as the deliverer looks.
    pub async fn enqueue_test(&self, channel: i64, actor: &str) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = Self::insert_notice(&mut tx, channel, NoticeKind::Test, "", now_ms()).await?;
        AuditEntry::new(actor, "channel.test", "channel", channel.to_string())
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Alert(0));
        Ok(id)
    }

    pub async fn channels(&self) -> Result<Vec<ChannelRow>> {
        Ok(sqlx::query_as::<_, ChannelRow>(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM notification_channels ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn channel(&self, id: i64) -> Result<ChannelRow> {
        sqlx::query_as::<_, ChannelRow>(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Channel {id}")))
    }

    /// Stores a new channel (`id` None) or changes one, audited.
    pub async fn save_channel(
        &self,
        id: Option<i64>,
        c: NewChannel<'_>,
        actor: &str,
    ) -> Result<ChannelRow> {
        let now = now_ms();
        let templates = c
            .template_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let tenants = c.tenant_ids.join(",");
        let mut tx = self.begin().await?;
        let saved = match id {
            None => sqlx::query_scalar::<_, i64>(
                "INSERT INTO notification_channels (name, kind, settings, secret, min_severity, template_ids, \
                 tenant_ids, group_window_secs, repeat_secs, send_resolved, enabled, created_at, updated_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
            )
            .bind(c.name)
            .bind(c.kind.as_str())
            .bind(c.settings.to_string())
            .bind(None::<String>)
            .bind(c.min_severity.as_str())
            .bind(&templates)
            .bind(&tenants)
            .bind(c.group_window_secs)
            .bind(c.repeat_secs)
            .bind(i64::from(c.send_resolved))
            .bind(i64::from(c.enabled))
            .bind(now)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await,
            Some(id) => sqlx::query_scalar::<_, i64>(
                "UPDATE notification_channels SET name = $2, kind = $3, settings = $4, \
                 secret = CASE WHEN $5 THEN NULL ELSE secret END, min_severity = $6, template_ids = $7, tenant_ids = $8, \
                 group_window_secs = $9, repeat_secs = $10, send_resolved = $11, enabled = $12, updated_at = $13 \
                 WHERE id = $1 RETURNING id",
            )
            .bind(id)
            .bind(c.name)
            .bind(c.kind.as_str())
            .bind(c.settings.to_string())
            .bind(matches!(c.secret, SecretUpdate::Seal(_)))
            .bind(c.min_severity.as_str())
            .bind(&templates)
            .bind(&tenants)
            .bind(c.group_window_secs)
            .bind(c.repeat_secs)
            .bind(i64::from(c.send_resolved))
            .bind(i64::from(c.enabled))
            .bind(now)
            .fetch_one(&mut *tx)
            .await,
        }
        .map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                ServerError::App(app::error::AppError::invalid("name", format!("\"{}\" is already a channel's name", c.name)))
            } else {
                e.into()
            }
        })?;
        if let SecretUpdate::Seal(seal) = c.secret {
            sqlx::query("UPDATE notification_channels SET secret = $2 WHERE id = $1")
                .bind(saved)
                .bind(seal(saved)?)
                .execute(&mut *tx)
                .await?;
        }
        let action = if id.is_some() {
            "channel.update"
        } else {
            "channel.create"
        };
        AuditEntry::new(actor, action, "channel", saved.to_string())
            .detail(format!("{} ({})", c.name, c.kind))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.channel(saved).await
    }

    /// Replaces a channel's sealed secret with the same secret sealed
    /// again (a new key or scheme), unless it changed meanwhile.
    pub async fn reseal_channel_secret(&self, id: i64, old: &str, new: &str) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE notification_channels SET secret = $3 WHERE id = $1 AND secret = $2",
        )
        .bind(id)
        .bind(old)
        .bind(new)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    pub async fn delete_channel(&self, id: i64, actor: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM notifications WHERE channel_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM notification_channels WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(ServerError::NotFound(format!("Channel {id}")));
        }
        AuditEntry::new(actor, "channel.delete", "channel", id.to_string())
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notifications due now, oldest first.
    pub async fn due_notifications(&self, limit: i64) -> Result<Vec<DueNotice>> {
        self.claim_notifications(limit, NOTICE_CLAIM).await
    }

    /// Claims up to `limit` due notifications for one deliverer: each is
    /// put out of every other deliverer's reach for `lease` (its `not_before`
    /// moves on; rows another deliverer is claiming are skipped on
    /// PostgreSQL, and SQLite's write transaction holds the database), so
    /// two deliverers never send one twice. A deliverer that dies leaves
    /// its claims to be taken again once the lease is over; one that sent
    /// or failed writes so (`notice_sent`, `notice_failed`).
    pub async fn claim_notifications(
        &self,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<DueNotice>> {
        let skip_locked = if self.backend() == super::Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let now = now_ms();
        // The deliverer looks after every write: only a plain read unless
        // something is due, so it never takes SQLite's write lock for
        // nothing (that starved the pool while runs wrote).
        let due = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM notifications WHERE state = 'pending' AND not_before <= $1 LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if due.is_none() {
            return Ok(vec![]);
        }
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let mut tx = self.begin().await?;
        let mut due = sqlx::query_as::<_, DueNotice>(&format!(
            "UPDATE notifications SET not_before = $2 WHERE id IN (\
             SELECT id FROM notifications WHERE state = 'pending' AND not_before <= $1 \
             ORDER BY not_before, id LIMIT $3{skip_locked}) \
             RETURNING id, channel_id, kind, alert_ids, idempotency_key, attempts, tenant_id, message, group_key"
        ))
        .bind(now)
        .bind(until)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        due.sort_by_key(|n| n.id);
        Ok(due)
    }

    /// The notification went out: it and its alerts' history say so.
    pub async fn notice_sent(&self, n: &DueNotice, channel: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE notifications SET state = 'sent', sent_at = $2, attempts = attempts + 1, last_error = NULL \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(n.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            for alert in n.alerts() {
                let note = format!("{} via {channel}", n.kind);
                Self::alert_event(&mut tx, alert, "notified", (super::SYSTEM, Some(&note))).await?;
            }
        }
        tx.commit().await?;
        self.changed(Change::Alert(0));
        Ok(())
    }

    /// A delivery failed: tried again at `next` (or given up when `None`).
    pub async fn notice_failed(&self, id: i64, error: &str, next: Option<i64>) -> Result<()> {
        let state = if next.is_some() { "pending" } else { "failed" };
        sqlx::query(
            "UPDATE notifications SET state = $2, attempts = attempts + 1, last_error = $3, \
             not_before = COALESCE($4, not_before) WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(state)
        .bind(error)
        .bind(next)
        .execute(&self.pool)
        .await?;
        self.changed(Change::Alert(0));
        Ok(())
    }

    /// The delivery log, newest first (of one channel, or all).
    pub async fn delivery_log(
        &self,
        channel: Option<i64>,
        limit: i64,
    ) -> Result<Vec<NotificationDto>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
            i64,
            Option<i64>,
        );
        let rows = sqlx::query_as::<_, Row>(
            "SELECT n.id, n.channel_id, c.name, n.kind, n.alert_ids, n.state, n.attempts, n.not_before, \
             n.last_error, n.created_at, n.sent_at FROM notifications n \
             JOIN notification_channels c ON c.id = n.channel_id \
             WHERE ($1 = 0 OR n.channel_id = $1) ORDER BY n.id DESC LIMIT $2",
        )
        .bind(channel.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    channel_id,
                    channel,
                    kind,
                    ids,
                    state,
                    attempts,
                    not_before,
                    last_error,
                    created_at,
                    sent_at,
                )| NotificationDto {
                    id,
                    channel_id,
                    channel,
                    kind,
                    alert_ids: list(&ids).iter().filter_map(|a| a.parse().ok()).collect(),
                    state,
                    attempts,
                    not_before,
                    last_error,
                    created_at,
                    sent_at,
                },
            )
            .collect())
    }
}
