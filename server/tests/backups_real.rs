//! Backups on the real control plane: a tier with backups gets a CronJob
//! with its template's schedule (in the batch version the cluster serves),
//! a tier without gets none; "back up now" and a CronJob's Job, completed
//! by the fake kubelet (which plays the script's termination message too),
//! become catalogue rows and the tenant's backup age; a restore is for
//! admins with the ID typed again and runs its steps in order; the
//! pre-deprovisioning dump stays catalogued after the namespace is gone;
//! a release may ask for a dump before its migrations, which rolling a
//! tenant back may restore (`before_migrations.rs`).
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

#[path = "backups_real/before_migrations.rs"]
mod before_migrations;
mod common;

use std::time::Duration;

use app::dto::{BackupDto, BackupMethod, StepState, TenantState};
use common::cluster::{test_cluster, FakeKubelet, PodFate};
use common::ops::{happy, new_tenant, run_op};
use common::{json, TestDb, TestServer};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use server::config::{Secret as Hidden, StoreCredentials};
use server::provisioning::RunnerOptions;

fn fast() -> RunnerOptions {
    RunnerOptions {
        backup_credentials: Some(StoreCredentials {
            access_key_id: Hidden("AKIATEST".into()),
            secret_access_key: Hidden("not-a-real-secret".into()),
        }),
        ..common::ops::fast()
    }
}

fn cronjobs(client: &kube::Client, ns: &str, version: &str) -> Api<DynamicObject> {
    let (group, v) = version.split_once('/').unwrap();
    let ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, v, "CronJob"), "cronjobs");
    Api::namespaced_with(client.clone(), ns, &ar)
}

async fn backups(srv: &TestServer, client: &reqwest::Client, id: &str) -> Vec<BackupDto> {
    json(
        srv.call(client, "tenant_backups", &[("id", id)]).await,
        "tenant_backups",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_and_on_demand_backups_are_catalogued_and_restored_in_order() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    if common::s3_url().is_none() {
        return;
    }
    let kube = cluster.client.clone();
    let version = cluster
        .caps
        .cronjob
        .clone()
        .expect("the control plane serves CronJobs");
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    // This test's tenants only ("bk-…"): the other tests on the shared
    // control plane run at the same time, and their pods are theirs to settle.
    let _kubelet = FakeKubelet::start_logged(
        kube.clone(),
        None,
        std::sync::Arc::new(|p: &k8s_openapi::api::core::v1::Pod| {
            if p.metadata
                .namespace
                .as_deref()
                .unwrap_or("")
                .starts_with("tenant-bk-")
            {
                happy(p)
            } else {
                PodFate::LeavePending
            }
        }),
        None,
    );

    // No store key and no CronJob in any tenant namespace: the console
    // holds the key and makes the scheduled Jobs itself.
    let pro = new_tenant(&srv, &op, "professional", "bk-pro").await;
    let demo = new_tenant(&srv, &op, "demo", "bk-demo").await;
    let (pro_ns, demo_ns) = (format!("tenant-{pro}"), format!("tenant-{demo}"));
    run_op(&srv, &op, "provision_tenant", &[("id", &pro)]).await;
    run_op(&srv, &op, "provision_tenant", &[("id", &demo)]).await;
    for ns in [&pro_ns, &demo_ns] {
        assert!(
            cronjobs(&kube, ns, &version)
                .list(&Default::default())
                .await
                .unwrap()
                .items
                .is_empty(),
            "a CronJob in {ns}"
        );
        assert!(
            Api::<Secret>::namespaced(kube.clone(), ns)
                .get_opt("backup-store")
                .await
                .unwrap()
                .is_none(),
            "the store's key in {ns}"
        );
    }

    // The leader starts the schedule's latest slot as a Job (Professional:
    // daily, so there is always one within a day; Demo has no backups),
    // with a URL for its one object, and catalogues it once finished.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let scheduled = loop {
        let listed = backups(&srv, &op, &pro).await;
        if let Some(b) = listed.iter().find(|b| b.method == BackupMethod::Scheduled) {
            break b.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no scheduled backup: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let jobs = Api::<Job>::namespaced(kube.clone(), &pro_ns);
    // The dump is named <UTC time>-<Job>-<random>.dump.
    let job_name = scheduled
        .location
        .rsplit('/')
        .next()
        .and_then(|n| n.strip_suffix(".dump"))
        .and_then(|n| n.split_once('-'))
        .and_then(|(_, rest)| rest.rsplit_once('-'))
        .map(|(job, _)| job.to_string())
        .unwrap();
    assert!(
        job_name.starts_with("db-backup-s"),
        "{}",
        scheduled.location
    );
    let slot_job = jobs.get(&job_name).await.unwrap();
    let env_of = |job: &Job, k: &str| -> String {
        job.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
            .env
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.name == k)
            .and_then(|e| e.value.clone())
            .unwrap_or_default()
    };
    let url = env_of(&slot_job, "BACKUP_URL");
    assert!(
        url.contains("X-Amz-Signature=") && url.contains(&env_of(&slot_job, "BACKUP_KEY")),
        "a URL for the one object"
    );
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        assert_eq!(env_of(&slot_job, name), "", "{name} in the Job");
    }
    assert!(
        backups(&srv, &op, &demo).await.is_empty(),
        "a tier without backups has none"
    );

    // Back up now: an operator may; the run records the dump.
    let run = run_op(&srv, &op, "backup_tenant", &[("id", &pro)]).await;
    let listed = backups(&srv, &op, &pro).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let first = listed
        .iter()
        .find(|b| b.method == BackupMethod::OnDemand)
        .unwrap()
        .clone();
    assert_eq!(first.run_id, Some(run.id));
    assert!(
        first
            .location
            .starts_with(&format!("s3://tenantry-backups/{pro}/")),
        "{}",
        first.location
    );
    let after = srv.store.get_tenant(&pro).await.unwrap();
    assert_eq!(
        after.last_backup_at,
        Some(first.taken_at.max(scheduled.taken_at))
    );
    assert_eq!(
        after.state,
        TenantState::Active,
        "a backup leaves the state alone"
    );

    // Jobs whose pods report a dump outside the tenant's own prefix
    // (another tenant's, another prefix) are never catalogued.
    let objects = server::provisioning::ObjectStore::new(
        &server::manifests::RenderSettings {
            backup_endpoint: common::s3_url().unwrap(),
            ..Default::default()
        },
        fast().backup_credentials.as_ref().unwrap(),
    )
    .unwrap();
    for (name, key) in [
        ("db-backup-other-tenant", "someone-else/x.dump".to_string()),
        ("db-backup-other-prefix", format!("elsewhere/{pro}/x.dump")),
    ] {
        let mut job: Job = serde_json::from_value(serde_json::json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": { "name": name, "namespace": pro_ns, "labels": slot_job.metadata.labels,
                          "annotations": slot_job.metadata.annotations },
            "spec": { "backoffLimit": 0, "template": slot_job.spec.as_ref().unwrap().template },
        }))
        .unwrap();
        let spec = job.spec.as_mut().unwrap();
        // The labels the Job controller gave the slot Job's pods are its own.
        let labels = spec
            .template
            .metadata
            .as_mut()
            .unwrap()
            .labels
            .as_mut()
            .unwrap();
        for own in ["controller-uid", "job-name"] {
            labels.remove(own);
        }
        for e in spec.template.spec.as_mut().unwrap().containers[0]
            .env
            .as_mut()
            .unwrap()
        {
            match e.name.as_str() {
                "BACKUP_KEY" => e.value = Some(key.clone()),
                // A URL that works, for that other key.
                "BACKUP_URL" => {
                    e.value = Some(objects.put_url(&key, Duration::from_secs(600)).to_string())
                }
                _ => {}
            }
        }
        jobs.create(&PostParams::default(), &job).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while jobs
            .get(name)
            .await
            .unwrap()
            .status
            .and_then(|s| s.succeeded)
            .unwrap_or(0)
            < 1
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{name} never finished"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // Once the console's picture has seen it finish, a sweep refuses it.
        let index = srv.console.live().monitor().index();
        while !index.finished_jobs("backup").iter().any(|j| j.2 == name) {
            assert!(
                std::time::Instant::now() < deadline,
                "the index never saw {name} finish"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let recorded = server::provisioning::backups::sweep(&kube, &srv.store, &objects, index)
            .await
            .unwrap();
        assert_eq!(recorded, 0, "{name} was catalogued");
        assert_eq!(backups(&srv, &op, &pro).await.len(), 2, "{name}");
    }
    let listed: Vec<BackupDto> = backups(&srv, &op, &pro).await;

    // Restore: admins only, with the ID typed again.
    let chosen = listed[1].id.to_string();
    let res = srv
        .call(
            &op,
            "restore_tenant",
            &[
                ("id", &pro),
                ("form[backup_id]", &chosen),
                ("form[confirm]", &pro),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = srv
        .call(
            &admin,
            "restore_tenant",
            &[
                ("id", &pro),
                ("form[backup_id]", &chosen),
                ("form[confirm]", "nope"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("type the tenant ID"));
    let res = srv
        .call(
            &admin,
            "restore_tenant",
            &[
                ("id", &pro),
                ("form[backup_id]", "999999"),
                ("form[confirm]", &pro),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let done = run_op(
        &srv,
        &admin,
        "restore_tenant",
        &[
            ("id", &pro),
            ("form[backup_id]", &chosen),
            ("form[confirm]", &pro),
        ],
    )
    .await;
    let names: Vec<&str> = done.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "backup",
            "suspend-workloads",
            "restore",
            "migrate",
            "application",
            "wait-api",
            "wait-web"
        ]
    );
    assert!(done.steps.iter().all(|s| s.state == StepState::Completed));
    let starts: Vec<i64> = done.steps.iter().map(|s| s.started_at.unwrap()).collect();
    let ends: Vec<i64> = done.steps.iter().map(|s| s.finished_at.unwrap()).collect();
    for i in 1..starts.len() {
        assert!(
            ends[i - 1] <= starts[i],
            "step {i} started before step {} ended",
            i - 1
        );
    }
    // The restore Job read the chosen dump; migrations ran again after it.
    let jobs = Api::<Job>::namespaced(kube.clone(), &pro_ns);
    let restore = jobs.get(&format!("db-restore-{}", done.id)).await.unwrap();
    let env = restore.spec.unwrap().template.spec.unwrap().containers[0]
        .env
        .clone()
        .unwrap();
    let key = env
        .iter()
        .find(|e| e.name == "BACKUP_KEY")
        .unwrap()
        .value
        .clone()
        .unwrap();
    assert!(
        listed[1].location.ends_with(&key),
        "{key} vs {}",
        listed[1].location
    );
    let names: Vec<String> = jobs
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|j| j.metadata.name)
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(&format!("-r{}", done.id))),
        "a migration Job of the restore run: {names:?}"
    );
    assert_eq!(
        srv.store.get_tenant(&pro).await.unwrap().state,
        TenantState::Active
    );
    let audit = srv
        .store
        .search_audit(&Default::default(), 1, 100)
        .await
        .unwrap();
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.action == "tenant.restore" && e.target_id == pro),
        "the restore is audited"
    );

    // The data the restore replaced was dumped first, into the catalogue.
    let before = backups(&srv, &op, &pro).await;
    assert_eq!(before[0].method, BackupMethod::PreRestore, "{before:?}");
    assert_eq!(before[0].run_id, Some(done.id));

    // Deprovisioning with a backup: the dump outlives the namespace.
    run_op(
        &srv,
        &op,
        "deprovision_tenant",
        &[
            ("id", &pro),
            ("form[confirm]", &pro),
            ("form[backup]", "true"),
        ],
    )
    .await;
    let kept = backups(&srv, &op, &pro).await;
    assert_eq!(kept.len(), 4, "{kept:?}");
    assert_eq!(kept[0].method, BackupMethod::PreDeprovision);
    let now = server::store::now_ms();
    assert_eq!(
        srv.store
            .expire_backups(now - 30 * 86_400_000)
            .await
            .unwrap(),
        0,
        "kept for the keep period"
    );
    assert_eq!(
        srv.store.expire_backups(now + 1).await.unwrap(),
        4,
        "forgotten once it is over"
    );
    run_op(
        &srv,
        &op,
        "deprovision_tenant",
        &[("id", &demo), ("form[confirm]", &demo)],
    )
    .await;
    srv.stop().await;
}
