//! Notification channels and their delivery log: anyone signed in reads,
//! admins change and test them. A channel's secret is sealed at rest and
//! shown once; its destination cannot change without it.

use app::dto::{
    ChannelForm, ChannelKind, CurrentStaff, NotificationDto, Role, RuleId, SavedChannel, Severity,
};
use app::error::{AppError, FieldErrors};
use serde_json::json;

use super::{require, ConsoleService, R};
use crate::store::{NewChannel, SecretUpdate};
use app::api::channels::Channels;

#[async_trait::async_trait]
impl Channels for ConsoleService {
    async fn list_channels(&self, who: &CurrentStaff) -> R<Vec<app::dto::ChannelDto>> {
        require(who, Role::Viewer, "see notification channels")?;
        Ok(self
            .store
            .channels()
            .await?
            .iter()
            .map(|c| c.dto())
            .collect())
    }

    async fn save_channel(
        &self,
        who: &CurrentStaff,
        id: i64,
        form: ChannelForm,
    ) -> R<SavedChannel> {
        require(who, Role::Admin, "change notification channels")?;
        let id = (id > 0).then_some(id);
        let existing = match id {
            Some(id) => Some(self.store.channel(id).await?),
            None => None,
        };
        let v = validate_channel(&form)?;
        let plain = self.channel_secret(existing.as_ref(), &v, &form)?;
        let shown = plain
            .as_ref()
            .filter(|_| v.kind == ChannelKind::Webhook)
            .cloned();
        let dest = crate::alerts::seal::destination(&v.settings);
        let sealer = self.sealer.clone();
        let kind = v.kind;
        let secret = match plain {
            Some(p) => {
                // Refused before any write when no key is configured.
                sealer.ready()?;
                SecretUpdate::Seal(Box::new(move |id| {
                    sealer.seal(&p, &crate::alerts::seal::binding(id, kind.as_str(), &dest))
                }))
            }
            None => SecretUpdate::Keep,
        };
        let saved = self
            .store
            .save_channel(
                id,
                NewChannel {
                    name: &v.name,
                    kind: v.kind,
                    settings: v.settings,
                    secret,
                    min_severity: v.min_severity,
                    template_ids: &v.template_ids,
                    tenant_ids: &v.tenant_ids,
                    group_window_secs: v.group_window_secs,
                    repeat_secs: v.repeat_secs,
                    send_resolved: form.send_resolved,
                    enabled: form.enabled,
                },
                &who.username,
            )
            .await?;
        Ok(SavedChannel {
            channel: saved.dto(),
            signing_secret: shown,
        })
    }

    async fn delete_channel(&self, who: &CurrentStaff, id: i64) -> R<()> {
        require(who, Role::Admin, "change notification channels")?;
        Ok(self.store.delete_channel(id, &who.username).await?)
    }

    async fn test_channel(&self, who: &CurrentStaff, id: i64) -> R<i64> {
        require(who, Role::Admin, "test notification channels")?;
        self.store.channel(id).await?;
        Ok(self.store.enqueue_test(id, &who.username).await?)
    }

    async fn delivery_log(&self, who: &CurrentStaff, channel: i64) -> R<Vec<NotificationDto>> {
        require(who, Role::Viewer, "see the delivery log")?;
        Ok(self
            .store
            .delivery_log((channel > 0).then_some(channel), 100)
            .await?)
    }
}

impl ConsoleService {
    /// The secret a save seals: a webhook's signing key is made here (and
    /// shown once); the others come from the form. An edit that leaves the
    /// kind and destination alone keeps the stored secret when none is
    /// entered; one that changes them needs it entered again, so a stored
    /// secret never goes to a new destination (a new webhook key is made).
    fn channel_secret(
        &self,
        existing: Option<&crate::store::ChannelRow>,
        v: &ValidChannel,
        form: &ChannelForm,
    ) -> R<Option<String>> {
        let stored = existing.is_some_and(|c| c.secret.is_some());
        let moved = existing.is_some_and(|c| {
            let was: serde_json::Value = serde_json::from_str(&c.settings).unwrap_or_default();
            c.kind != v.kind.as_str()
                || crate::alerts::seal::destination(&was)
                    != crate::alerts::seal::destination(&v.settings)
        });
        let entered = form.secret.trim();
        Ok(match v.kind {
            ChannelKind::Webhook if stored && !moved => None,
            ChannelKind::Webhook => Some(crate::alerts::send::new_signing_secret()),
            _ if !entered.is_empty() => Some(entered.to_string()),
            _ if stored && moved => {
                return Err(AppError::invalid(
                    "secret",
                    "the channel's kind or destination changed: enter its secret again (the \
                     stored one is never sent to a new destination)",
                ))
            }
            ChannelKind::Slack | ChannelKind::Pagerduty if !stored => {
                return Err(AppError::invalid(
                    "secret",
                    if v.kind == ChannelKind::Slack {
                        "the Slack incoming-webhook URL is required"
                    } else {
                        "the PagerDuty routing key is required"
                    },
                ))
            }
            _ => None,
        })
    }
}

/// A channel form, checked.
struct ValidChannel {
    name: String,
    kind: ChannelKind,
    settings: serde_json::Value,
    min_severity: Severity,
    template_ids: Vec<i64>,
    tenant_ids: Vec<String>,
    group_window_secs: i64,
    repeat_secs: i64,
}

fn csv(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn validate_channel(f: &ChannelForm) -> R<ValidChannel> {
    let mut e = FieldErrors::default();
    let name = e.check(
        "name",
        app::domain::validate::validate_display_name(&f.name, 100),
    );
    let kind = e.check(
        "kind",
        ChannelKind::parse(f.kind.trim())
            .ok_or_else(|| "must be email, webhook, slack or pagerduty".to_string()),
    );
    let min_severity = e.check(
        "min_severity",
        match f.min_severity.trim() {
            "" => Ok(Severity::Warning),
            s => Severity::parse(s).ok_or_else(|| "must be info, warning or critical".to_string()),
        },
    );
    let secs = |field: &str, v: &str, default: i64, max: i64| -> Result<i64, String> {
        match v.trim() {
            "" => Ok(default),
            s => s
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| format!("{field} must be a number of seconds from 0 to {max}")),
        }
    };
    let group_window_secs = e.check(
        "group_window_secs",
        secs("the group window", &f.group_window_secs, 30, 3600),
    );
    let repeat_secs = e.check(
        "repeat_secs",
        secs("the repeat interval", &f.repeat_secs, 4 * 3600, 7 * 86_400),
    );
    let template_ids: Vec<i64> = csv(&f.template_ids)
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();
    if template_ids.len() != csv(&f.template_ids).len() {
        e.push("template_ids", "must be template ids separated by commas");
    }
    let url_ok = |field: &str, u: &str, e: &mut FieldErrors| match url::Url::parse(u.trim()) {
        Ok(p) if matches!(p.scheme(), "http" | "https") => {}
        _ => e.push(field, "must be an http:// or https:// URL"),
    };
    let settings = match kind {
        Some(ChannelKind::Email) => {
            let to = csv(&f.email_to);
            if to.is_empty() {
                e.push("email_to", "name at least one address");
            }
            for a in &to {
                e.check("email_to", app::domain::validate::validate_email(a));
            }
            e.check(
                "email_from",
                app::domain::validate::validate_email(&f.email_from),
            );
            if f.smtp_host.trim().is_empty() {
                e.push("smtp_host", "is required");
            }
            let port = e.check(
                "smtp_port",
                f.smtp_port
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| "must be a port from 1 to 65535".to_string()),
            );
            let tls = match f.smtp_tls.trim() {
                "" | "starttls" => "starttls",
                "tls" => "tls",
                "none" => "none",
                _ => {
                    e.push("smtp_tls", "must be starttls, tls or none");
                    "starttls"
                }
            };
            for r in csv(&f.owner_rules) {
                if RuleId::parse(&r).is_none() {
                    e.push("owner_rules", format!("\"{r}\" is not a rule"));
                }
            }
            json!({ "to": to.join(","), "from": f.email_from.trim(), "host": f.smtp_host.trim(), "port": port,
                    "tls": tls, "user": f.smtp_user.trim(), "owner_rules": csv(&f.owner_rules).join(","),
                    "ca_cert": f.ca_cert.trim() })
        }
        Some(ChannelKind::Webhook) => {
            url_ok("url", &f.url, &mut e);
            json!({ "url": f.url.trim(), "ca_cert": f.ca_cert.trim() })
        }
        Some(ChannelKind::Pagerduty) => {
            if !f.url.trim().is_empty() {
                url_ok("url", &f.url, &mut e);
            }
            json!({ "url": f.url.trim(), "ca_cert": f.ca_cert.trim() })
        }
        Some(ChannelKind::Slack) => {
            if !f.secret.trim().is_empty() {
                url_ok("secret", &f.secret, &mut e);
            }
            json!({ "ca_cert": f.ca_cert.trim() })
        }
        None => json!({}),
    };
    if !f.ca_cert.trim().is_empty() && !f.ca_cert.contains("-----BEGIN CERTIFICATE-----") {
        e.push(
            "ca_cert",
            "must be a PEM certificate (-----BEGIN CERTIFICATE-----)",
        );
    }
    e.into_result()?;
    Ok(ValidChannel {
        name: name.unwrap_or_default(),
        kind: kind.unwrap_or(ChannelKind::Webhook),
        settings,
        min_severity: min_severity.unwrap_or(Severity::Warning),
        template_ids,
        tenant_ids: csv(&f.tenant_ids),
        group_window_secs: group_window_secs.unwrap_or(30),
        repeat_secs: repeat_secs.unwrap_or(4 * 3600),
    })
}
