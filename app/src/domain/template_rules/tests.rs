use super::*;

pub(crate) fn good_form() -> TemplateForm {
    TemplateForm {
        key: "starter".into(),
        application: " shop ".into(),
        name: "Starter".into(),
        description: "Small shops".into(),
        postgres_instances: "1".into(),
        postgres_storage_gi: "10".into(),
        api_replicas: "1".into(),
        web_replicas: "1".into(),
        cpu_request_m: "100".into(),
        cpu_limit_m: "500".into(),
        memory_request_mi: "128".into(),
        memory_limit_mi: "512".into(),
        user_limit: "".into(),
        backup_enabled: Some("on".into()),
        backup_schedule: "".into(),
        backup_retention: "".into(),
        quota_cpu_m: "2000".into(),
        quota_memory_mi: "4096".into(),
        quota_storage_gi: "20".into(),
        quota_pods: "10".into(),
        features: "reports, api, reports".into(),
        limits: "".into(),
        run_timeout_secs: "".into(),
        based_on_version: None,
    }
}

#[test]
fn turning_backups_off_or_keeping_fewer_weakens_them() {
    let base = good_form().validate().expect("valid").spec;
    let mut fewer = base.clone();
    fewer.backup_retention = base.backup_retention - 1;
    assert!(weakens_backups(&base, &fewer)
        .unwrap()
        .contains("lower its backup retention"));
    let mut off = base.clone();
    off.backup_enabled = false;
    assert!(weakens_backups(&base, &off).unwrap().contains("off"));
    let mut more = base.clone();
    more.backup_retention = base.backup_retention + 1;
    assert_eq!(weakens_backups(&base, &more), None);
    assert_eq!(weakens_backups(&off, &base), None, "turning them on");
    assert_eq!(weakens_backups(&base, &base), None);
}

#[test]
fn accepts_a_consistent_tier() {
    let v = good_form().validate().expect("valid");
    assert_eq!(
        v.spec.run_timeout_secs,
        crate::dto::DEFAULT_RUN_TIMEOUT_SECS
    );
    let mut slow = good_form();
    slow.run_timeout_secs = "1800".into();
    assert_eq!(slow.validate().expect("valid").spec.run_timeout_secs, 1800);
    slow.run_timeout_secs = "30".into();
    assert!(slow
        .validate()
        .expect_err("too short")
        .field_message("run_timeout_secs")
        .is_some());
    assert_eq!(v.spec.user_limit, None);
    assert!(v.spec.backup_enabled);
    assert_eq!(v.spec.features, vec!["reports", "api"]);
    assert_eq!(
        limits(" schools=10,products = 500 ,")
            .expect("limits")
            .len(),
        2
    );
    for bad in ["schools", "schools=x", "Schools=1", "a=1, a=2", "a=-1"] {
        assert!(limits(bad).is_err(), "{bad} was taken");
    }
    // The limits the edge enforces are bounded as the edge takes them.
    assert!(limits("requests-per-minute=600, request-body-mb=20").is_ok());
    for bad in ["requests-per-minute=0", "request-body-mb=200000"] {
        let e = limits(bad).expect_err(bad);
        assert!(e.contains("enforced at the edge"), "{e}");
    }
    assert_eq!(v.application.as_deref(), Some("shop"));
    let mut f = good_form();
    f.application = " ".into();
    assert_eq!(
        f.validate().expect("valid").application,
        None,
        "empty: the default"
    );
}

#[test]
fn backup_schedules_are_five_plain_cron_fields() {
    let v = good_form().validate().expect("valid");
    assert_eq!(v.spec.backup_schedule, "0 2 * * *", "empty is the default");
    assert_eq!(
        v.spec.backup_retention,
        crate::dto::DEFAULT_BACKUP_RETENTION
    );
    assert_eq!(
        validate_backup_schedule(" 30  */6 * * 1-5 ").as_deref(),
        Ok("30 */6 * * 1-5")
    );
    for bad in [
        "0 2 * *",
        "0 2 * * * *",
        "@daily",
        "0 2 L * *",
        "0 2 * * MON",
    ] {
        assert!(validate_backup_schedule(bad).is_err(), "{bad} accepted");
    }
    // Out-of-range values need the real parser (server side).
    #[cfg(feature = "ssr")]
    for bad in ["61 2 * * *", "0 24 * * *", "0 2 32 * *", "0 2 * 13 *"] {
        assert!(validate_backup_schedule(bad).is_err(), "{bad} accepted");
    }
    let mut f = good_form();
    f.backup_schedule = "every day".into();
    f.backup_retention = "0".into();
    let err = f.validate().unwrap_err();
    assert!(err
        .field_message("backup_schedule")
        .unwrap()
        .contains("five cron fields"));
    assert!(err
        .field_message("backup_retention")
        .unwrap()
        .contains("from 1 to 1000"));
}

#[test]
fn names_each_bad_field() {
    let mut f = good_form();
    f.api_replicas = "two".into();
    f.cpu_request_m = "900".into();
    f.quota_pods = "2".into();
    f.application = "Shop!".into();
    let err = f.validate().unwrap_err();
    assert!(err.field_message("application").is_some());
    assert!(err
        .field_message("api_replicas")
        .unwrap()
        .contains("whole number"));
    assert!(err
        .field_message("cpu_request_m")
        .unwrap()
        .contains("must not exceed"));
    assert!(err.to_string().contains("api_replicas"));
}

#[test]
fn quota_must_hold_the_workloads() {
    let mut f = good_form();
    f.quota_cpu_m = "1000".into();
    f.quota_storage_gi = "5".into();
    let err = f.validate().unwrap_err();
    assert!(err
        .field_message("quota_cpu_m")
        .unwrap()
        .contains("at least 2000"));
    assert!(err
        .field_message("quota_storage_gi")
        .unwrap()
        .contains("at least 10 Gi"));
}
