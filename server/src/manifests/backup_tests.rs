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
        owner_email: "owner@example.com",
        template_key: key,
        template_version: 2,
        tier,
        release: crate::applications::workshop(),
        custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
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
fn backups_are_jobs_given_one_url_and_no_namespace_holds_the_store_key() {
    let pro = tier("professional");
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
        let t = input(&pro, "professional");
        let out = render(&t, &settings, &caps);
        assert!(
            out.iter().all(|m| m.kind != "CronJob"),
            "the leader schedules"
        );
        assert!(
            out.iter().all(|m| m.name != BACKUP_STORE_SECRET),
            "no store key"
        );
        let script = out.iter().find(|m| m.kind == "ConfigMap").expect("script");
        assert_eq!(script.body["data"]["backup.sh"], BACKUP_SCRIPT);
        // What earlier releases left is removed on the next update.
        let stale: Vec<(String, String)> = stale_backup_objects(&out, &caps, "ns")
            .into_iter()
            .map(|m| (m.kind, m.api_version))
            .collect();
        assert_eq!(
            stale,
            [
                ("Secret".to_string(), "v1".to_string()),
                ("CronJob".to_string(), version.to_string())
            ]
        );

        let job = scheduled_job(&t, &settings, &caps, 1_796_522_400);
        assert_eq!(job.name, "db-backup-s1796522400");
        assert_eq!(
            job.body["metadata"]["labels"][BACKUP_METHOD_LABEL],
            "scheduled"
        );
        assert_eq!(
            job.body["metadata"]["annotations"][BACKUP_RETAIN_ANNOTATION],
            json!(pro.backup_retention.to_string())
        );
        assert_eq!(
            job.body["spec"]["activeDeadlineSeconds"],
            json!(BACKUP_DEADLINE_SECS)
        );
        let env = env_of(&job.body["spec"]);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("BACKUP_KEY"),
            Some(json!("")),
            "filled in when the Job is made"
        );
        assert_eq!(get("BACKUP_URL"), Some(json!("")));
        assert_eq!(get("BACKUP_SSE"), Some(json!("AES256")));
        for gone in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "BACKUP_DESTINATION",
            "S3_ENDPOINT",
        ] {
            assert_eq!(get(gone), None, "{gone}");
        }
        assert_eq!(
            job.body["spec"]["template"]["spec"]["containers"][0]["command"],
            json!(["sh", "/scripts/backup.sh", "backup"])
        );
        let filled = with_object(&job, "prod/acme-k3x9pq/x.dump", "https://signed.example/x");
        assert_eq!(
            job_object_key(&filled.body),
            Some("prod/acme-k3x9pq/x.dump")
        );
        assert_eq!(job_object_key(&job.body), None);
    }
    // A cluster that serves no CronJob has none to remove.
    let bare = Capabilities::default();
    let out = render(&input(&pro, "professional"), &settings, &bare);
    assert_eq!(stale_backup_objects(&out, &bare, "ns").len(), 1);
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
    assert!(
        out.iter().any(|m| m.name == BACKUP_STORE_SECRET),
        "CloudNativePG's object store reads the key from the namespace"
    );
    assert!(stale_backup_objects(&out, &caps, "ns").is_empty());
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
    assert_eq!(
        stale_backup_objects(&out, &caps, "ns")[0].kind,
        "ScheduledBackup"
    );
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
    assert_eq!(
        get("BACKUP_URL"),
        Some(json!("")),
        "signed when the Job is made"
    );
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
