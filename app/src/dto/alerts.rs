//! Alerts, their rules, silences, notification channels and deliveries as
//! pages and the API show them.

use serde::{Deserialize, Serialize};

string_enum!(
    Severity {
        Info => "info",
        Warning => "warning",
        Critical => "critical",
    }
);

impl Severity {
    /// Worse severities rank higher.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Warning => 1,
            Severity::Critical => 2,
        }
    }
}

string_enum!(
    /// pending (the condition holds, its `for` has not passed) → firing
    /// (notifications go out) → acknowledged (someone is on it; repeats
    /// stop) → resolved (the condition cleared, or by hand).
    AlertState {
        Pending => "pending",
        Firing => "firing",
        Acknowledged => "acknowledged",
        Resolved => "resolved",
    }
);

string_enum!(
    /// The built-in rules.
    RuleId {
        TenantDown => "tenant_down",
        TenantCritical => "tenant_critical",
        TenantDegraded => "tenant_degraded",
        CrashLoop => "crash_loop",
        QuotaUsage => "quota_usage",
        RunFailed => "run_failed",
        RunTooLong => "run_too_long",
        CertificateNotReady => "certificate_not_ready",
        CertificateExpiring => "certificate_expiring",
        WatchStale => "watch_stale",
        ClusterUnreachable => "cluster_unreachable",
        ErrorRate => "error_rate",
        ResponseTime => "response_time",
        UserCount => "user_count",
        BackupStale => "backup_stale",
        EdgeRate => "edge_rate",
    }
);

/// A rule's settings as they apply (defaults, then the template's, then
/// the tenant's overrides).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleSettings {
    pub enabled: bool,
    pub severity: Severity,
    /// How long the condition must hold before the alert fires.
    pub for_secs: i64,
    /// The rule's threshold (restarts, a quota ratio for warning, minutes,
    /// days, …), where it has one.
    pub threshold: Option<f64>,
    /// A second, critical threshold (quota ratios).
    pub critical: Option<f64>,
}

/// One rule as the rules editor shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleDto {
    pub id: RuleId,
    pub title: String,
    pub description: String,
    /// What the threshold means, if the rule has one.
    pub threshold_label: Option<String>,
    pub effective: RuleSettings,
    /// Set at this level (template or tenant), not inherited.
    pub overridden: bool,
    /// Why the rule cannot run here (no Prometheus configured, …).
    pub unavailable: Option<String>,
    /// A Prometheus rule's effective PromQL expression.
    pub expression: Option<String>,
}

/// One alert, with its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertDto {
    pub id: i64,
    pub fingerprint: String,
    pub tenant_id: Option<String>,
    pub rule: RuleId,
    pub subject: String,
    pub severity: Severity,
    pub state: AlertState,
    pub summary: String,
    pub started_at: i64,
    pub fired_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub ack_note: Option<String>,
    pub resolved_at: Option<i64>,
    /// Who resolved it by hand; `None` when it resolved by itself.
    pub resolved_by: Option<String>,
    /// Whether a silence holds its notifications back now.
    #[serde(default)]
    pub silenced: bool,
    #[serde(default)]
    pub history: Vec<AlertEventDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertEventDto {
    pub at: i64,
    /// pending, firing, acknowledged, resolved, notified, silenced, escalated…
    pub kind: String,
    pub actor: String,
    pub note: Option<String>,
}

/// Filters of the alerts list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(default)]
pub struct AlertQuery {
    /// Empty: every open alert (not resolved).
    pub state: Option<AlertState>,
    pub severity: Option<Severity>,
    pub tenant: String,
    pub rule: Option<RuleId>,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SilenceDto {
    pub id: i64,
    pub tenant_id: Option<String>,
    pub rule: Option<RuleId>,
    pub ends_at: i64,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
    /// Ended early by hand.
    pub ended_at: Option<i64>,
}

/// A new silence as the form sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SilenceForm {
    pub tenant_id: String,
    pub rule: String,
    /// How long, in minutes.
    pub minutes: String,
    pub reason: String,
}

string_enum!(
    ChannelKind {
        Email => "email",
        Webhook => "webhook",
        Slack => "slack",
        Pagerduty => "pagerduty",
    }
);

/// A notification channel as pages show it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelDto {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// Addresses, URL host, SMTP server… whatever is not secret.
    pub target: String,
    pub min_severity: Severity,
    pub template_ids: Vec<i64>,
    pub tenant_ids: Vec<String>,
    pub group_window_secs: i64,
    pub repeat_secs: i64,
    pub send_resolved: bool,
    pub enabled: bool,
    /// Whether a secret is stored (it is never shown again).
    pub has_secret: bool,
    /// The channel as its edit form starts (every secret field empty).
    pub form: ChannelForm,
}

/// A channel as the form sends it. Secret fields left empty keep the
/// stored secret on an edit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ChannelForm {
    pub name: String,
    pub kind: String,
    /// Email: `to` addresses (comma-separated), `from`, SMTP host, port,
    /// TLS mode (`starttls`, `tls`, `none`), user.
    pub email_to: String,
    pub email_from: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_tls: String,
    pub smtp_user: String,
    /// Also mail the tenant's owner, for the rules listed (comma-separated ids).
    pub owner_rules: String,
    /// Webhook or PagerDuty events URL.
    pub url: String,
    /// The secret: SMTP password, Slack URL, PagerDuty routing key. A
    /// webhook's signing secret is generated and shown once instead.
    pub secret: String,
    /// PEM CA certificate for a private TLS endpoint.
    pub ca_cert: String,
    pub min_severity: String,
    pub template_ids: String,
    pub tenant_ids: String,
    pub group_window_secs: String,
    pub repeat_secs: String,
    pub send_resolved: bool,
    pub enabled: bool,
}

/// A saved channel, and a generated signing secret shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SavedChannel {
    pub channel: ChannelDto,
    pub signing_secret: Option<String>,
}

/// One notification in the delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationDto {
    pub id: i64,
    pub channel_id: i64,
    pub channel: String,
    pub kind: String,
    pub alert_ids: Vec<i64>,
    pub state: String,
    pub attempts: i64,
    pub not_before: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// A rule override as the editor sends it (empty fields inherit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RuleOverrideForm {
    pub rule: String,
    /// "", "on" or "off".
    pub enabled: String,
    pub severity: String,
    pub for_secs: String,
    pub threshold: String,
    pub critical: String,
    /// A Prometheus rule's PromQL expression ("" inherits).
    pub expression: String,
}
