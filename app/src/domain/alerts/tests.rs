use super::*;
use crate::dto::RuleOverrideForm;

fn pod(name: &str, reason: Option<&str>, restarts: i32) -> PodDto {
    PodDto {
        name: name.into(),
        component: "api".into(),
        phase: "Running".into(),
        ready: reason.is_none(),
        restarts,
        reason: reason.map(Into::into),
        created_at: None,
    }
}

fn quota(resource: &str, ratio: f64) -> QuotaUseDto {
    QuotaUseDto {
        resource: resource.into(),
        used: format!("{ratio}"),
        hard: "1".into(),
        ratio: Some(ratio),
    }
}

fn defaults(id: RuleId) -> RuleSettings {
    info(id).defaults
}

const NOW: i64 = 10_000_000_000;

fn facts<'a>(
    pods: &'a [PodDto],
    restarts: &'a [(String, i32)],
    q: &'a [QuotaUseDto],
    certs: &'a [CertificateDto],
) -> TenantFacts<'a> {
    TenantFacts {
        id: "acme",
        health: Some((
            Health::Degraded,
            Some("api pod api-0: CrashLoopBackOff"),
            NOW - 1000,
        )),
        pods,
        recent_restarts: restarts,
        quota: q,
        certificates: certs,
        failed_run: None,
        running_run: None,
        metrics: &[],
        backup: None,
    }
}

#[test]
fn every_rule_has_a_catalogue_entry_and_sensible_defaults() {
    for id in RuleId::ALL {
        let r = info(*id);
        assert_eq!(r.id, *id);
        assert!(!r.title.is_empty());
        assert_eq!(
            r.defaults.threshold.is_some(),
            r.threshold_label.is_some(),
            "{id}"
        );
        assert_eq!(
            r.needs_prometheus, !r.defaults.enabled,
            "{id}: only metric rules start off"
        );
    }
    assert_eq!(defaults(RuleId::TenantDown).for_secs, 60);
    assert_eq!(defaults(RuleId::TenantCritical).for_secs, 120);
    assert_eq!(defaults(RuleId::TenantDegraded).for_secs, 300);
    let q = defaults(RuleId::QuotaUsage);
    assert_eq!((q.threshold, q.critical), (Some(0.85), Some(0.95)));
}

#[test]
fn overrides_stack_defaults_template_tenant() {
    let template = RuleOverride {
        for_secs: Some(30),
        severity: Some(Severity::Critical),
        ..Default::default()
    };
    let tenant = RuleOverride {
        enabled: Some(false),
        for_secs: Some(5),
        ..Default::default()
    };
    let s = effective(RuleId::TenantDegraded, Some(&template), Some(&tenant));
    assert_eq!(
        (s.enabled, s.severity, s.for_secs),
        (false, Severity::Critical, 5)
    );
    assert_eq!(
        effective(RuleId::TenantDegraded, None, None),
        defaults(RuleId::TenantDegraded)
    );
}

#[test]
fn override_forms_name_the_field_and_the_rule() {
    let form = |rule: &str, threshold: &str, critical: &str, for_secs: &str| RuleOverrideForm {
        rule: rule.into(),
        threshold: threshold.into(),
        critical: critical.into(),
        for_secs: for_secs.into(),
        ..Default::default()
    };
    let (id, o) = validate_override(&form("quota_usage", "0.8", "0.9", "")).expect("valid");
    assert_eq!(
        (id, o.threshold, o.critical),
        (RuleId::QuotaUsage, Some(0.8), Some(0.9))
    );
    let e = validate_override(&form("nope", "", "", "")).unwrap_err();
    assert!(e.field_message("rule").is_some());
    let e = validate_override(&form("quota_usage", "85", "", "")).unwrap_err();
    assert!(e
        .field_message("threshold")
        .unwrap_or_default()
        .contains("fraction"));
    let e = validate_override(&form("tenant_down", "3", "", "")).unwrap_err();
    assert!(e
        .field_message("threshold")
        .unwrap_or_default()
        .contains("no threshold"));
    let e = validate_override(&form("crash_loop", "", "0.9", "-1")).unwrap_err();
    assert!(
        e.field_message("critical").is_some() && e.field_message("for_secs").is_some(),
        "{e}"
    );
}

#[test]
fn health_crash_loops_restarts_quota_and_certificates_become_conditions() {
    let pods = [
        pod("api-0", Some("CrashLoopBackOff"), 4),
        pod("web-0", None, 9),
        pod("web-1", None, 9),
    ];
    let restarts = [("web-0".to_string(), 6), ("web-1".to_string(), 2)];
    let q = [
        quota("requests.cpu", 0.90),
        quota("limits.cpu", 0.96),
        quota("pods", 0.5),
    ];
    let certs = [CertificateDto {
        name: "acme-tls".into(),
        hosts: vec!["acme.example.com".into()],
        ready: false,
        reason: Some("Failed: rate limited".into()),
        not_after: Some(NOW + 3 * DAY),
    }];
    let f = facts(&pods, &restarts, &q, &certs);
    let got = tenant_conditions(&f, &defaults, &|_| 0, NOW);
    let find =
        |rule: RuleId, subject: &str| got.iter().find(|c| c.rule == rule && c.subject == subject);
    let degraded = find(RuleId::TenantDegraded, "health").expect("degraded");
    assert_eq!(degraded.since, Some(NOW - 1000));
    assert!(degraded.summary.contains("CrashLoopBackOff"));
    assert!(find(RuleId::CrashLoop, "api-0").is_some(), "crash-looping");
    assert!(find(RuleId::CrashLoop, "web-0").is_some(), "6 restarts > 5");
    assert!(
        find(RuleId::CrashLoop, "web-1").is_none(),
        "2 restarts is fine"
    );
    assert_eq!(
        find(RuleId::QuotaUsage, "requests.cpu").map(|c| c.severity),
        Some(Severity::Warning)
    );
    assert_eq!(
        find(RuleId::QuotaUsage, "limits.cpu").map(|c| c.severity),
        Some(Severity::Critical)
    );
    assert!(find(RuleId::QuotaUsage, "pods").is_none());
    assert!(find(RuleId::CertificateNotReady, "acme-tls")
        .unwrap()
        .summary
        .contains("rate limited"));
    assert!(
        find(RuleId::CertificateExpiring, "acme-tls").is_some(),
        "3 days < 14"
    );
    assert_eq!(degraded.fingerprint(), "acme/tenant_degraded/health");

    // A rule switched off holds nothing.
    let off = |id: RuleId| RuleSettings {
        enabled: id != RuleId::QuotaUsage,
        ..defaults(id)
    };
    assert!(!tenant_conditions(&f, &off, &|_| 0, NOW)
        .iter()
        .any(|c| c.rule == RuleId::QuotaUsage));
}

#[test]
fn runs_that_failed_or_take_too_long_become_conditions() {
    let mut f = facts(&[], &[], &[], &[]);
    f.health = None;
    f.failed_run = Some(RunFact {
        id: 7,
        operation: Operation::Provision,
        detail: "wait-database failed: CrashLoopBackOff".into(),
        started_at: NOW - 5 * MINUTE,
    });
    f.running_run = Some(RunFact {
        id: 8,
        operation: Operation::Update,
        detail: String::new(),
        started_at: NOW - 45 * MINUTE,
    });
    let got = tenant_conditions(&f, &defaults, &|_| 40 * MINUTE, NOW);
    assert!(got
        .iter()
        .any(|c| c.rule == RuleId::RunFailed && c.subject == "run 7"));
    assert!(
        got.iter()
            .any(|c| c.rule == RuleId::RunTooLong && c.subject == "run 8"),
        "45 min > 40 min"
    );
    let got = tenant_conditions(&f, &defaults, &|_| 60 * MINUTE, NOW);
    assert!(
        !got.iter().any(|c| c.rule == RuleId::RunTooLong),
        "45 min < 60 min"
    );
}

#[test]
fn a_tier_with_backups_alerts_when_the_newest_is_older_than_the_threshold() {
    let hour = 60 * MINUTE;
    let mut f = facts(&[], &[], &[], &[]);
    f.health = None;
    let stale = |f: &TenantFacts| {
        tenant_conditions(f, &defaults, &|_| hour, NOW)
            .into_iter()
            .find(|c| c.rule == RuleId::BackupStale)
    };
    assert!(stale(&f).is_none(), "no backups in the tier: no alert");
    f.backup = Some((Some(NOW - 25 * hour), NOW - 100 * hour));
    assert!(stale(&f).is_none(), "25 h < 26 h");
    f.backup = Some((Some(NOW - 27 * hour), NOW - 100 * hour));
    let c = stale(&f).expect("27 h > 26 h");
    assert!(c.summary.contains("27 h old"), "{}", c.summary);
    assert_eq!(c.since, Some(NOW - hour), "since the threshold was crossed");
    f.backup = Some((None, NOW - 2 * hour));
    assert!(
        stale(&f).is_none(),
        "a new tenant gets a day to take its first"
    );
    f.backup = Some((None, NOW - 30 * hour));
    assert!(stale(&f)
        .expect("none after 30 h")
        .summary
        .contains("no backup"));
    let tighter = |id: RuleId| RuleSettings {
        threshold: Some(1.0),
        ..defaults(id)
    };
    f.backup = Some((Some(NOW - 2 * hour), NOW - 100 * hour));
    assert!(tenant_conditions(&f, &tighter, &|_| hour, NOW)
        .iter()
        .any(|c| c.rule == RuleId::BackupStale));
}

#[test]
fn global_conditions_need_a_configured_cluster() {
    let g = GlobalFacts {
        cluster_configured: true,
        cluster_error: Some("connection refused".into()),
        watches_started: true,
        watches_connected: false,
        watches_since: Some(NOW - 90_000),
    };
    let got = global_conditions(&g, &defaults);
    assert_eq!(got.len(), 2);
    assert!(got
        .iter()
        .all(|c| c.tenant.is_none() && c.severity == Severity::Critical));
    let none = GlobalFacts {
        cluster_configured: false,
        ..g
    };
    assert!(global_conditions(&none, &defaults).is_empty());
}

#[test]
fn alerts_move_pending_firing_resolved() {
    use AlertState::*;
    use Transition::*;
    assert_eq!(transition(None, true, NOW, 60, NOW), Pend);
    assert_eq!(
        transition(None, true, NOW - 60_000, 60, NOW),
        Fire,
        "already held long enough"
    );
    assert_eq!(transition(Some(Pending), true, NOW - 59_000, 60, NOW), Stay);
    assert_eq!(transition(Some(Pending), true, NOW - 60_000, 60, NOW), Fire);
    assert_eq!(transition(Some(Firing), true, NOW, 60, NOW), Stay);
    assert_eq!(transition(Some(Acknowledged), false, NOW, 60, NOW), Resolve);
    assert_eq!(transition(Some(Pending), false, NOW, 60, NOW), Resolve);
    assert_eq!(transition(None, false, NOW, 60, NOW), Stay);
    assert_eq!(
        transition(Some(Resolved), true, NOW, 0, NOW),
        Fire,
        "a resolved alert's condition back: a new alert"
    );
}

#[test]
fn prometheus_readings_over_their_threshold_hold_and_expressions_inherit() {
    let on = |id: RuleId| RuleSettings {
        enabled: true,
        ..defaults(id)
    };
    let metrics = [(RuleId::ErrorRate, 7.5), (RuleId::ResponseTime, 120.0)];
    let mut f = facts(&[], &[], &[], &[]);
    f.health = None;
    f.metrics = &metrics;
    let held = tenant_conditions(&f, &on, &|_| 0, NOW);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].rule, RuleId::ErrorRate);
    assert!(held[0].summary.contains("7.50"), "{}", held[0].summary);
    // Off by default: nothing without an override turning them on.
    assert!(tenant_conditions(&f, &defaults, &|_| 0, NOW).is_empty());

    let template = RuleOverride {
        expression: Some("errors_ratio{namespace=\"{namespace}\"}".into()),
        ..RuleOverride::default()
    };
    assert_eq!(
        effective_expression(RuleId::ErrorRate, Some(&template), None).as_deref(),
        Some("errors_ratio{namespace=\"{namespace}\"}")
    );
    assert_eq!(
        effective_expression(RuleId::ErrorRate, None, None).as_deref(),
        info(RuleId::ErrorRate).expression
    );
    assert_eq!(effective_expression(RuleId::TenantDown, None, None), None);
    assert!(per_tenant_expression("x{namespace=\"{namespace}\"}"));
    assert!(!per_tenant_expression(
        info(RuleId::ErrorRate).expression.unwrap_or("")
    ));
    assert_eq!(
        fill_expression(
            "up{namespace=\"{namespace}\",t=\"{tenant}\"}",
            "acme",
            "tenant-acme"
        ),
        "up{namespace=\"tenant-acme\",t=\"acme\"}"
    );
    let form = |rule: &str, expression: &str| crate::dto::RuleOverrideForm {
        rule: rule.into(),
        expression: expression.into(),
        ..Default::default()
    };
    let err = validate_override(&form("tenant_down", "up")).unwrap_err();
    assert!(format!("{err:?}").contains("expression"), "{err:?}");
    let (_, o) = validate_override(&form("error_rate", " rate(x[5m]) ")).unwrap();
    assert_eq!(o.expression.as_deref(), Some("rate(x[5m])"));
}
