//! What backups render: the schedule in the version the cluster serves (or
//! CloudNativePG's), none for a tier without backups, and Jobs whose
//! environment the script reads.

use app::dto::{BackupDto, BackupMethod};
use serde_json::json;

use super::*;
use crate::store::seed_templates;

fn tier(key: &str) -> app::dto::TierSpec {
    seed_templates()
        .into_iter()
        .find(|t| t.key == key)
        .expect("seeded tier")
        .spec
}

fn input<'a>(tier: &'a app::dto::TierSpec, key: &'a str) -> TenantInput<'a> {
    TenantInput {
        id: "acme-k3x9pq",
        namespace: "tenant-acme-k3x9pq",
        custom_domain: None,
        template_key: key,
        template_version: 2,
        tier,
    }
}

fn env_of(job_spec: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    job_spec["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| {
            let v = if e["value"].is_null() {
                e["valueFrom"].clone()
            } else {
                e["value"].clone()
            };
            (e["name"].as_str().unwrap_or("").to_string(), v)
        })
        .collect()
}

#[test]
fn a_tier_with_backups_gets_a_cronjob_in_the_served_version_and_one_without_none() {
    let pro = tier("professional");
    let demo = tier("demo");
    let settings = RenderSettings {
        backup_destination: "s3://backups/prod".into(),
        backup_endpoint: "https://s3.example.net".into(),
        backup_sse: Some("AES256".into()),
        ..RenderSettings::default()
    };
    for version in ["batch/v1", "batch/v1beta1"] {
        let caps = Capabilities {
            cronjob: Some(version.into()),
            ..Default::default()
        };
        let out = render(&input(&pro, "professional"), &settings, &caps);
        let cron = out.iter().find(|m| m.kind == "CronJob").expect("cronjob");
        assert_eq!(cron.api_version, version);
        assert_eq!(cron.body["spec"]["schedule"], json!(pro.backup_schedule));
        assert_eq!(cron.body["spec"]["concurrencyPolicy"], "Forbid");
        let job = &cron.body["spec"]["jobTemplate"]["spec"];
        let env = env_of(job);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("BACKUP_DESTINATION"), Some(json!("s3://backups/prod")));
        assert_eq!(get("BACKUP_TENANT"), Some(json!("acme-k3x9pq")));
        assert_eq!(
            get("BACKUP_RETAIN"),
            Some(json!(pro.backup_retention.to_string()))
        );
        assert_eq!(get("S3_ENDPOINT"), Some(json!("https://s3.example.net")));
        assert_eq!(get("BACKUP_SSE"), Some(json!("AES256")));
        // Credentials only ever by reference.
        assert_eq!(
            get("AWS_SECRET_ACCESS_KEY").expect("key")["secretKeyRef"]["name"],
            BACKUP_STORE_SECRET
        );
        assert_eq!(
            job["template"]["spec"]["containers"][0]["command"],
            json!(["sh", "/scripts/backup.sh", "backup"])
        );
        assert_eq!(
            cron.body["spec"]["jobTemplate"]["metadata"]["labels"][BACKUP_METHOD_LABEL],
            "scheduled"
        );
        let script = out.iter().find(|m| m.kind == "ConfigMap").expect("script");
        assert_eq!(script.body["data"]["backup.sh"], BACKUP_SCRIPT);

        let none = render(&input(&demo, "demo"), &settings, &caps);
        assert!(
            none.iter().all(|m| m.kind != "CronJob"),
            "demo has no schedule"
        );
        let stale = stale_backup_schedule(&none, &caps, "tenant-acme-k3x9pq").expect("stale");
        assert_eq!(
            (stale.kind.as_str(), stale.api_version.as_str()),
            ("CronJob", version)
        );
        assert!(stale_backup_schedule(&out, &caps, "tenant-acme-k3x9pq").is_none());
    }
    // A cluster that serves no CronJob gets no schedule (and nothing to prune).
    let bare = Capabilities::default();
    let out = render(&input(&pro, "professional"), &settings, &bare);
    assert!(out.iter().all(|m| m.kind != "CronJob"));
    assert!(stale_backup_schedule(&out, &bare, "ns").is_none());
}

#[test]
fn with_cloudnativepg_the_cluster_backs_up_to_the_same_store_on_the_same_schedule() {
    let pro = tier("professional");
    let settings = RenderSettings {
        backup_destination: "s3://backups/prod".into(),
        backup_sse: Some("AES256".into()),
        ..RenderSettings::default()
    };
    let caps = Capabilities {
        cnpg: true,
        cronjob: Some("batch/v1".into()),
        ..Default::default()
    };
    let out = render(&input(&pro, "professional"), &settings, &caps);
    assert!(out.iter().all(|m| m.kind != "CronJob"));
    let sched = out
        .iter()
        .find(|m| m.kind == "ScheduledBackup")
        .expect("scheduled backup");
    assert_eq!(
        sched.body["spec"]["schedule"],
        json!(format!("0 {}", pro.backup_schedule))
    );
    assert_eq!(sched.body["spec"]["cluster"]["name"], "db");
    let cluster = out.iter().find(|m| m.kind == "Cluster").expect("cluster");
    let store = &cluster.body["spec"]["backup"]["barmanObjectStore"];
    assert_eq!(store["destinationPath"], "s3://backups/prod/acme-k3x9pq");
    assert_eq!(
        store["s3Credentials"]["accessKeyId"]["name"],
        BACKUP_STORE_SECRET
    );
    assert_eq!(store["data"]["encryption"], "AES256");
    let demo = tier("demo");
    let out = render(&input(&demo, "demo"), &settings, &caps);
    assert!(out.iter().all(|m| m.kind != "ScheduledBackup"));
    let cluster = out.iter().find(|m| m.kind == "Cluster").expect("cluster");
    assert!(cluster.body["spec"]["backup"].is_null());
}

#[test]
fn run_jobs_name_their_run_and_a_restore_reads_the_dump_it_was_given() {
    let pro = tier("professional");
    let caps = Capabilities::default();
    let s = RenderSettings::default();
    let t = input(&pro, "professional");
    let job = backup_job(&t, &s, &caps, 42, BackupMethod::PreDeprovision);
    assert!(job.name.starts_with("db-backup-42-"));
    assert_eq!(
        job.body["metadata"]["labels"][BACKUP_METHOD_LABEL],
        "pre_deprovision"
    );
    assert_eq!(job.body["metadata"]["labels"][RUN_LABEL], "42");
    assert_eq!(
        backup_job(&t, &s, &caps, 42, BackupMethod::PreDeprovision),
        job,
        "stable"
    );
    let b = BackupDto {
        id: 7,
        tenant_id: "acme-k3x9pq".into(),
        method: BackupMethod::Scheduled,
        run_id: None,
        taken_at: 0,
        location: "s3://old-bucket/acme-k3x9pq/20261201T020000Z-x.dump".into(),
        size_bytes: 10,
        sha256: "ab".repeat(32),
        pruned_at: None,
    };
    let r = restore_job(&t, &s, &caps, 43, &b);
    assert_eq!(r.name, "db-restore-43");
    let env = env_of(&r.body["spec"]);
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        get("BACKUP_KEY"),
        Some(json!("acme-k3x9pq/20261201T020000Z-x.dump"))
    );
    assert_eq!(get("BACKUP_DESTINATION"), Some(json!("s3://old-bucket")));
    assert_eq!(get("BACKUP_SHA256"), Some(json!(b.sha256)));
    assert_eq!(
        r.body["spec"]["template"]["spec"]["containers"][0]["command"][2],
        "restore"
    );
}

#[test]
fn destinations_must_be_s3_urls() {
    assert_eq!(split_destination("s3://b"), Some(("b", "")));
    assert_eq!(split_destination("s3://b/x/y/"), Some(("b", "x/y")));
    assert_eq!(split_destination("s3:///x"), None);
    assert_eq!(split_destination("/var/backups"), None);
    assert_eq!(location_key("s3://b/t/k.dump"), Some(("b", "t/k.dump")));
    let bad = RenderSettings {
        backup_destination: "file:///backups".into(),
        ..RenderSettings::default()
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("backup destination"));
}
