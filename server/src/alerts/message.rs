//! What a notification says: built once from the alerts it tells of, then
//! shaped by each channel (a mail, a signed JSON webhook, a Slack text,
//! PagerDuty events). Links point at `--public-url`.

use app::dto::{AlertDto, AlertState};
use serde_json::{json, Value};

use crate::store::NoticeKind;

/// One notification, ready for a channel.
#[derive(Clone, Debug)]
pub struct Message {
    pub kind: NoticeKind,
    /// The same on every retry of this notification.
    pub idempotency_key: String,
    pub alerts: Vec<AlertDto>,
    pub console: Option<url::Url>,
}

impl Message {
    fn verb(&self) -> &'static str {
        match self.kind {
            NoticeKind::Firing => "FIRING",
            NoticeKind::Repeat => "STILL FIRING",
            NoticeKind::Resolved => "RESOLVED",
            NoticeKind::Test => "TEST",
            NoticeKind::Owner => "OWNER",
        }
    }

    /// A link to the tenant's page (or the alerts page).
    pub fn link(&self, a: Option<&AlertDto>) -> Option<String> {
        let base = self.console.as_ref()?;
        let path = match a.and_then(|a| a.tenant_id.as_deref()) {
            Some(t) => format!("tenants/{t}"),
            None => "alerts".into(),
        };
        base.join(&path).ok().map(|u| u.to_string())
    }

    /// "[FIRING] acme-x1 is degraded: …" or "[FIRING] 3 alerts".
    pub fn subject(&self) -> String {
        match self.alerts.as_slice() {
            [] => format!("[{}] Tenantry notification channel test", self.verb()),
            [one] => format!("[{}] [{}] {}", self.verb(), one.severity, one.summary),
            many => format!(
                "[{}] {} alerts: {}",
                self.verb(),
                many.len(),
                many.iter()
                    .map(|a| a.tenant_id.clone().unwrap_or_else(|| "console".into()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Plain text, one paragraph per alert.
    pub fn text(&self) -> String {
        if self.alerts.is_empty() {
            return "This is a test of a Tenantry notification channel: it works.\n".into();
        }
        let mut out = String::new();
        for a in &self.alerts {
            out.push_str(&format!(
                "{} — {}\n  tenant: {}\n  rule: {} ({})\n  severity: {}\n  state: {}\n",
                self.verb(),
                a.summary,
                a.tenant_id.as_deref().unwrap_or("(the console)"),
                a.rule,
                a.subject,
                a.severity,
                a.state
            ));
            if let Some(link) = self.link(Some(a)) {
                out.push_str(&format!("  {link}\n"));
            }
            out.push('\n');
        }
        out
    }

    /// The JSON body of a webhook.
    pub fn json(&self) -> Value {
        json!({
            "type": format!("alert.{}", self.kind.as_str()),
            "id": self.idempotency_key,
            "alerts": self.alerts.iter().map(|a| json!({
                "id": a.id,
                "fingerprint": a.fingerprint,
                "tenant": a.tenant_id,
                "rule": a.rule,
                "subject": a.subject,
                "severity": a.severity,
                "state": a.state,
                "summary": a.summary,
                "started_at": a.started_at,
                "fired_at": a.fired_at,
                "resolved_at": a.resolved_at,
                "url": self.link(Some(a)),
            })).collect::<Vec<_>>(),
        })
    }

    /// PagerDuty's action for one alert.
    pub fn pagerduty_action(&self, a: &AlertDto) -> &'static str {
        match (self.kind, a.state) {
            (NoticeKind::Resolved, _) | (_, AlertState::Resolved) => "resolve",
            (_, AlertState::Acknowledged) => "acknowledge",
            _ => "trigger",
        }
    }
}
