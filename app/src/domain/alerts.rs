//! Alert rules, pure: the built-in catalogue with its defaults, how
//! overrides combine, what conditions hold for a tenant (or the console as
//! a whole) given what the cluster and the runs show, and how an alert
//! moves through its states. No I/O: the evaluator feeds facts in.

use crate::dto::{
    AlertState, CertificateDto, Health, Operation, PodDto, QuotaUseDto, RuleId, RuleSettings,
    Severity,
};

/// What a rule is, as the catalogue describes it.
pub struct RuleInfo {
    pub id: RuleId,
    pub title: &'static str,
    pub description: &'static str,
    pub threshold_label: Option<&'static str>,
    /// About one tenant (overridable per template and tenant), or the
    /// console as a whole.
    pub per_tenant: bool,
    /// Needs the tenant's own metrics from Prometheus.
    pub needs_prometheus: bool,
    /// For those: the PromQL expression read by default (see
    /// [`PROMQL_PLACEHOLDERS`]).
    pub expression: Option<&'static str>,
    pub defaults: RuleSettings,
}

/// An expression without placeholders is asked once for the whole fleet and
/// must give one series per tenant, labelled with the tenant's namespace
/// (`namespace`); with `{namespace}` or `{tenant}` it is asked per tenant
/// with those filled in, and its first series counts.
pub const PROMQL_PLACEHOLDERS: [&str; 2] = ["{namespace}", "{tenant}"];

/// Whether an expression is asked per tenant (it has a placeholder).
pub fn per_tenant_expression(expr: &str) -> bool {
    PROMQL_PLACEHOLDERS.iter().any(|p| expr.contains(p))
}

/// An expression with a tenant's namespace and ID filled in.
pub fn fill_expression(expr: &str, tenant: &str, namespace: &str) -> String {
    expr.replace("{namespace}", namespace)
        .replace("{tenant}", tenant)
}

const fn settings(severity: Severity, for_secs: i64, threshold: Option<f64>) -> RuleSettings {
    RuleSettings {
        enabled: true,
        severity,
        for_secs,
        threshold,
        critical: None,
    }
}

/// Every built-in rule with its defaults.
pub fn catalogue() -> Vec<RuleInfo> {
    use RuleId::*;
    use Severity::*;
    let rule = |id, title, description, threshold_label, defaults| RuleInfo {
        id,
        title,
        description,
        threshold_label,
        per_tenant: !matches!(id, WatchStale | ClusterUnreachable),
        needs_prometheus: matches!(id, ErrorRate | ResponseTime | UserCount | EdgeRate),
        expression: match id {
            ErrorRate => Some(
                "100 * sum by (namespace) (rate(http_requests_total{code=~\"5..\"}[5m])) \
                 / sum by (namespace) (rate(http_requests_total[5m]))",
            ),
            ResponseTime => Some(
                "1000 * histogram_quantile(0.95, sum by (namespace, le) \
                 (rate(http_request_duration_seconds_bucket[5m])))",
            ),
            UserCount => Some(
                "max by (namespace) (tenant_active_users) / max by (namespace) (tenant_user_limit)",
            ),
            // Requests a minute through ingress-nginx; Tenantry divides by
            // the plan's `requests-per-minute`.
            EdgeRate => {
                Some("60 * sum by (namespace) (rate(nginx_ingress_controller_requests[5m]))")
            }
            _ => None,
        },
        defaults,
    };
    let prometheus = |threshold| RuleSettings {
        enabled: false,
        ..settings(Warning, 300, Some(threshold))
    };
    vec![
        rule(TenantDown, "Tenant down", "The tenant's database has no ready pod.", None, settings(Critical, 60, None)),
        rule(TenantCritical, "Tenant critical", "The API or web has no ready replica.", None, settings(Critical, 120, None)),
        rule(TenantDegraded, "Tenant degraded", "Fewer replicas ready than wanted, or a pod waits on a bad reason.", None, settings(Warning, 300, None)),
        rule(CrashLoop, "Container crash-looping", "A container is in CrashLoopBackOff, or restarted more than the threshold in 10 minutes.", Some("restarts in 10 minutes"), settings(Warning, 0, Some(5.0))),
        rule(QuotaUsage, "Namespace quota nearly used", "A resource of the tenant's ResourceQuota is used beyond the threshold (each resource its own alert).", Some("fraction used for a warning (critical: second threshold)"), RuleSettings { critical: Some(0.95), ..settings(Warning, 0, Some(0.85)) }),
        rule(RunFailed, "Run failed", "The tenant's latest run failed.", None, settings(Warning, 0, None)),
        rule(RunTooLong, "Run taking too long", "A run is running longer than twice the p95 of its operation's last 100 runs, and at least the threshold.", Some("minutes at least"), settings(Warning, 0, Some(30.0))),
        rule(CertificateNotReady, "Certificate not ready", "A cert-manager Certificate of the tenant is not Ready.", None, settings(Warning, 600, None)),
        rule(CertificateExpiring, "Certificate expiring", "A certificate of the tenant expires within the threshold.", Some("days"), settings(Warning, 0, Some(14.0))),
        rule(WatchStale, "Cluster view stale", "Tenantry's watches over the cluster are interrupted.", None, settings(Critical, 60, None)),
        rule(ClusterUnreachable, "Cluster unreachable", "The Kubernetes API server does not answer.", None, settings(Critical, 60, None)),
        rule(ErrorRate, "Error rate", "The tenant's HTTP error rate, from Prometheus.", Some("percent of requests"), prometheus(5.0)),
        rule(ResponseTime, "Response time", "The tenant's p95 response time, from Prometheus.", Some("milliseconds"), prometheus(1000.0)),
        rule(BackupStale, "Backup too old", "The tenant's tier has backups, but its newest backup in the store is older than the threshold (or it has none that long after it was made).", Some("hours"), settings(Warning, 0, Some(26.0))),
        rule(UserCount, "User count", "The tenant's active users against its plan's limit, from Prometheus.", Some("fraction of the limit"), prometheus(0.9)),
        rule(EdgeRate, "Traffic near its edge limit", "The tenant's requests a minute at the edge against its plan's requests-per-minute, from Prometheus (a tenant whose plan sets none is not read).", Some("fraction of the limit"), prometheus(0.8)),
    ]
}

/// The catalogue entry of `id`.
pub fn info(id: RuleId) -> RuleInfo {
    catalogue()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| catalogue().remove(0))
}

/// Settings one level changes; `None` keeps the level above.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleOverride {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub for_secs: Option<i64>,
    pub threshold: Option<f64>,
    pub critical: Option<f64>,
    /// A Prometheus rule's own PromQL expression.
    pub expression: Option<String>,
}

impl RuleOverride {
    pub fn is_empty(&self) -> bool {
        *self == RuleOverride::default()
    }

    pub fn apply(&self, mut s: RuleSettings) -> RuleSettings {
        if let Some(v) = self.enabled {
            s.enabled = v;
        }
        if let Some(v) = self.severity {
            s.severity = v;
        }
        if let Some(v) = self.for_secs {
            s.for_secs = v;
        }
        if self.threshold.is_some() {
            s.threshold = self.threshold;
        }
        if self.critical.is_some() {
            s.critical = self.critical;
        }
        s
    }
}

/// Defaults, then the template's override, then the tenant's.
pub fn effective(
    id: RuleId,
    template: Option<&RuleOverride>,
    tenant: Option<&RuleOverride>,
) -> RuleSettings {
    let mut s = info(id).defaults;
    for o in [template, tenant].into_iter().flatten() {
        s = o.apply(s);
    }
    s
}

/// The PromQL a Prometheus rule reads: the tenant's, the template's, or
/// the catalogue's.
pub fn effective_expression(
    id: RuleId,
    template: Option<&RuleOverride>,
    tenant: Option<&RuleOverride>,
) -> Option<String> {
    [tenant, template]
        .into_iter()
        .flatten()
        .find_map(|o| o.expression.clone())
        .or_else(|| info(id).expression.map(String::from))
}

/// Longest PromQL expression an override may hold.
pub const MAX_EXPRESSION: usize = 2000;

/// Checks an override form, naming the field and the rule it broke.
pub fn validate_override(
    form: &crate::dto::RuleOverrideForm,
) -> Result<(RuleId, RuleOverride), crate::error::AppError> {
    let mut errors = crate::error::FieldErrors::default();
    let rule = errors.check(
        "rule",
        RuleId::parse(form.rule.trim())
            .ok_or_else(|| "must be one of the built-in rules".to_string()),
    );
    let enabled = errors.check(
        "enabled",
        match form.enabled.trim() {
            "" => Ok(None),
            "on" | "true" => Ok(Some(true)),
            "off" | "false" => Ok(Some(false)),
            _ => Err("must be on, off or empty (inherit)".to_string()),
        },
    );
    let severity = errors.check(
        "severity",
        match form.severity.trim() {
            "" => Ok(None),
            s => Severity::parse(s)
                .map(Some)
                .ok_or_else(|| "must be info, warning or critical".to_string()),
        },
    );
    let for_secs = errors.check(
        "for_secs",
        match form.for_secs.trim() {
            "" => Ok(None),
            s => s
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=7 * 86_400).contains(n))
                .map(Some)
                .ok_or_else(|| "must be a number of seconds from 0 to 604800 (7 days)".to_string()),
        },
    );
    let number = |field: &str, v: &str| -> Result<Option<f64>, String> {
        match v.trim() {
            "" => Ok(None),
            s => s
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Some)
                .ok_or_else(|| format!("{field} must be a number of at least 0")),
        }
    };
    let threshold = errors.check("threshold", number("the threshold", &form.threshold));
    let critical = errors.check("critical", number("the critical threshold", &form.critical));
    if let (Some(id), Some(Some(t))) = (rule, threshold) {
        if info(id).threshold_label.is_none() {
            errors.push("threshold", "this rule has no threshold");
        } else if id == RuleId::QuotaUsage && t > 1.0 {
            errors.push(
                "threshold",
                "a quota threshold is a fraction from 0 to 1 (0.85 is 85 %)",
            );
        }
    }
    if let (Some(Some(c)), Some(id)) = (critical, rule) {
        if id != RuleId::QuotaUsage {
            errors.push("critical", "only the quota rule has a critical threshold");
        } else if c > 1.0 {
            errors.push("critical", "a quota threshold is a fraction from 0 to 1");
        }
    }
    let expression = match form.expression.trim() {
        "" => None,
        e => Some(e.to_string()),
    };
    if let (Some(id), Some(e)) = (rule, &expression) {
        if !info(id).needs_prometheus {
            errors.push(
                "expression",
                "only the rules read from Prometheus have an expression",
            );
        } else if e.len() > MAX_EXPRESSION {
            errors.push(
                "expression",
                format!("must be at most {MAX_EXPRESSION} characters"),
            );
        }
    }
    errors.into_result()?;
    let rule = rule.ok_or_else(|| crate::error::AppError::invalid("rule", "is required"))?;
    Ok((
        rule,
        RuleOverride {
            enabled: enabled.flatten(),
            severity: severity.flatten(),
            for_secs: for_secs.flatten(),
            threshold: threshold.flatten(),
            critical: critical.flatten(),
            expression,
        },
    ))
}

/// A condition that holds now.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub tenant: Option<String>,
    pub rule: RuleId,
    /// What in particular (a pod, a quota resource, a run…), for the fingerprint.
    pub subject: String,
    pub severity: Severity,
    pub summary: String,
    /// Since when it has held, when the facts know (health); otherwise the
    /// alert's own first sighting counts.
    pub since: Option<i64>,
}

impl Condition {
    pub fn fingerprint(&self) -> String {
        fingerprint(self.tenant.as_deref(), self.rule, &self.subject)
    }
}

/// An alert's identity: (tenant, rule, subject).
pub fn fingerprint(tenant: Option<&str>, rule: RuleId, subject: &str) -> String {
    format!("{}/{}/{subject}", tenant.unwrap_or("-"), rule.as_str())
}

/// A run of the tenant that failed, or is running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFact {
    pub id: i64,
    pub operation: Operation,
    /// Failed: the step and its cause. Running: since when.
    pub detail: String,
    pub started_at: i64,
}

/// What the rules look at for one tenant.
pub struct TenantFacts<'a> {
    pub id: &'a str,
    /// Health, its reason, and since when.
    pub health: Option<(Health, Option<&'a str>, i64)>,
    pub pods: &'a [PodDto],
    pub recent_restarts: &'a [(String, i32)],
    pub quota: &'a [QuotaUseDto],
    pub certificates: &'a [CertificateDto],
    /// The latest run, when it failed.
    pub failed_run: Option<RunFact>,
    /// The run in progress, if any.
    pub running_run: Option<RunFact>,
    /// What Prometheus said for the rules read from it.
    pub metrics: &'a [(RuleId, f64)],
    /// For a tier with backups: the newest backup still in the store, and
    /// since when the tenant has existed.
    pub backup: Option<(Option<i64>, i64)>,
}

/// What the rules look at for the console as a whole.
pub struct GlobalFacts {
    /// A cluster is configured.
    pub cluster_configured: bool,
    /// Why the API server did not answer the last probe, if it did not.
    pub cluster_error: Option<String>,
    pub watches_started: bool,
    pub watches_connected: bool,
    pub watches_since: Option<i64>,
}

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// The conditions that hold for one tenant now, under `rules`.
/// `run_limit(op)` is how long a run of `op` may take (ms).
pub fn tenant_conditions(
    f: &TenantFacts,
    rules: &dyn Fn(RuleId) -> RuleSettings,
    run_limit: &dyn Fn(Operation) -> i64,
    now: i64,
) -> Vec<Condition> {
    let mut out = vec![];
    let mut hold = |rule: RuleId,
                    subject: String,
                    severity: Option<Severity>,
                    summary: String,
                    since: Option<i64>| {
        let s = rules(rule);
        if s.enabled {
            out.push(Condition {
                tenant: Some(f.id.to_string()),
                rule,
                subject,
                severity: severity.unwrap_or(s.severity),
                summary,
                since,
            });
        }
    };
    if let Some((health, reason, since)) = f.health {
        let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
        let rule = match health {
            Health::Down => Some(RuleId::TenantDown),
            Health::Critical => Some(RuleId::TenantCritical),
            Health::Degraded => Some(RuleId::TenantDegraded),
            _ => None,
        };
        if let Some(rule) = rule {
            hold(
                rule,
                "health".into(),
                None,
                format!("{} is {health}{why}", f.id),
                Some(since),
            );
        }
    }
    let restarts_allowed = rules(RuleId::CrashLoop).threshold.unwrap_or(5.0);
    for p in f.pods {
        let recent = f
            .recent_restarts
            .iter()
            .find(|(pod, _)| *pod == p.name)
            .map_or(0, |r| r.1);
        if p.reason.as_deref() == Some("CrashLoopBackOff") {
            hold(
                RuleId::CrashLoop,
                p.name.clone(),
                None,
                format!(
                    "pod {} of {} is in CrashLoopBackOff ({} restarts)",
                    p.name, f.id, p.restarts
                ),
                None,
            );
        } else if f64::from(recent) > restarts_allowed {
            hold(
                RuleId::CrashLoop,
                p.name.clone(),
                None,
                format!(
                    "pod {} of {} restarted {recent} times in 10 minutes",
                    p.name, f.id
                ),
                None,
            );
        }
    }
    let quota = rules(RuleId::QuotaUsage);
    for q in f.quota {
        let Some(r) = q.ratio else { continue };
        let critical = quota.critical.is_some_and(|c| r >= c);
        let warning = quota.threshold.is_some_and(|t| r >= t);
        if critical || warning {
            let severity = if critical {
                Severity::Critical
            } else {
                quota.severity
            };
            hold(
                RuleId::QuotaUsage,
                q.resource.clone(),
                Some(severity),
                format!(
                    "{} uses {:.0} % of its {} quota ({} of {})",
                    f.id,
                    r * 100.0,
                    q.resource,
                    q.used,
                    q.hard
                ),
                None,
            );
        }
    }
    if let Some(run) = &f.failed_run {
        hold(
            RuleId::RunFailed,
            format!("run {}", run.id),
            None,
            format!(
                "run {} ({}) of {} failed: {}",
                run.id, run.operation, f.id, run.detail
            ),
            None,
        );
    }
    if let Some(run) = &f.running_run {
        let limit = run_limit(run.operation).max(
            rules(RuleId::RunTooLong)
                .threshold
                .map_or(30 * MINUTE, |m| (m * MINUTE as f64) as i64),
        );
        let took = now - run.started_at;
        if took > limit {
            hold(
                RuleId::RunTooLong,
                format!("run {}", run.id),
                None,
                format!(
                    "run {} ({}) of {} has been running for {} min (more than {} min)",
                    run.id,
                    run.operation,
                    f.id,
                    took / MINUTE,
                    limit / MINUTE
                ),
                None,
            );
        }
    }
    for (rule, value) in f.metrics {
        let s = rules(*rule);
        let Some(limit) = s.threshold.filter(|t| value > t) else {
            continue;
        };
        let i = info(*rule);
        hold(
            *rule,
            "metric".into(),
            None,
            format!(
                "{} of {} is {value:.2} ({}; threshold {limit})",
                i.title.to_lowercase(),
                f.id,
                i.threshold_label.unwrap_or("value")
            ),
            None,
        );
    }
    if let Some((last, since)) = f.backup {
        let limit = (rules(RuleId::BackupStale).threshold.unwrap_or(26.0) * 3_600_000.0) as i64;
        let from = last.unwrap_or(since);
        if now - from > limit {
            let summary = match last {
                Some(at) => format!(
                    "the newest backup of {} is {} h old (more than {} h)",
                    f.id,
                    (now - at) / 3_600_000,
                    limit / 3_600_000
                ),
                None => format!(
                    "{} has no backup, {} h after it was made",
                    f.id,
                    (now - since) / 3_600_000
                ),
            };
            hold(
                RuleId::BackupStale,
                "backup".into(),
                None,
                summary,
                Some(from + limit),
            );
        }
    }
    let expiring_days = rules(RuleId::CertificateExpiring).threshold.unwrap_or(14.0);
    for c in f.certificates {
        if !c.ready {
            let why = c.reason.clone().unwrap_or_default();
            hold(
                RuleId::CertificateNotReady,
                c.name.clone(),
                None,
                format!("certificate {} of {} is not ready: {why}", c.name, f.id),
                None,
            );
        }
        if let Some(end) = c.not_after {
            if end - now < (expiring_days * DAY as f64) as i64 {
                hold(
                    RuleId::CertificateExpiring,
                    c.name.clone(),
                    None,
                    format!(
                        "certificate {} of {} expires in {} days",
                        c.name,
                        f.id,
                        (end - now).max(0) / DAY
                    ),
                    None,
                );
            }
        }
    }
    out
}

/// The conditions that hold for the console as a whole.
pub fn global_conditions(
    g: &GlobalFacts,
    rules: &dyn Fn(RuleId) -> RuleSettings,
) -> Vec<Condition> {
    let mut out = vec![];
    let mut hold = |rule: RuleId, summary: String, since: Option<i64>| {
        let s = rules(rule);
        if s.enabled {
            out.push(Condition {
                tenant: None,
                rule,
                subject: "console".into(),
                severity: s.severity,
                summary,
                since,
            });
        }
    };
    if g.cluster_configured {
        if let Some(e) = &g.cluster_error {
            hold(
                RuleId::ClusterUnreachable,
                format!("the Kubernetes API does not answer: {e}"),
                None,
            );
        }
        if g.watches_started && !g.watches_connected {
            hold(
                RuleId::WatchStale,
                "Tenantry's watches over the cluster are interrupted: health may be out of date"
                    .into(),
                g.watches_since,
            );
        }
    }
    out
}

/// What to do with an alert, given its state (none: no open alert), whether
/// its condition holds, and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Nothing to do.
    Stay,
    /// Open it as pending.
    Pend,
    /// Its `for` has passed: fire (and notify).
    Fire,
    /// The condition cleared: resolve it (and notify if it had fired).
    Resolve,
}

pub fn transition(
    state: Option<AlertState>,
    holds: bool,
    since: i64,
    for_secs: i64,
    now: i64,
) -> Transition {
    let due = now - since >= for_secs * 1000;
    match (state, holds) {
        (None | Some(AlertState::Resolved), false) => Transition::Stay,
        (None | Some(AlertState::Resolved), true) if due => Transition::Fire,
        (None | Some(AlertState::Resolved), true) => Transition::Pend,
        (Some(AlertState::Pending), true) if due => Transition::Fire,
        (Some(_), true) => Transition::Stay,
        (Some(_), false) => Transition::Resolve,
    }
}

#[cfg(test)]
mod tests;
