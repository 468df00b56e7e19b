//! Backups on the real control plane: a tier with backups gets a CronJob
//! with its template's schedule (in the batch version the cluster serves),
//! a tier without gets none; "back up now" and a CronJob's Job, completed
//! by the fake kubelet (which plays the script's termination message too),
//! become catalogue rows and the tenant's backup age; a restore is for
//! admins with the ID typed again and runs its steps in order; the
//! pre-deprovisioning dump stays catalogued after the namespace is gone.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

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

    // Professional: a CronJob with the template's schedule; Demo: none.
    let pro = new_tenant(&srv, &op, "professional", "bk-pro").await;
    let demo = new_tenant(&srv, &op, "demo", "bk-demo").await;
    let (pro_ns, demo_ns) = (format!("tenant-{pro}"), format!("tenant-{demo}"));
    run_op(&srv, &op, "provision_tenant", &[("id", &pro)]).await;
    run_op(&srv, &op, "provision_tenant", &[("id", &demo)]).await;
    let schedule = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "professional")
        .unwrap()
        .spec
        .backup_schedule;
    let cron = cronjobs(&kube, &pro_ns, &version)
        .get("db-backup")
        .await
        .unwrap();
    assert_eq!(cron.data["spec"]["schedule"], schedule.as_str());
    assert!(
        cronjobs(&kube, &demo_ns, &version)
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "a tier without backups has no CronJob"
    );
    // The store's credentials reached the tenant's Secret (and only there).
    let store_secret = Api::<Secret>::namespaced(kube.clone(), &pro_ns)
        .get("backup-store")
        .await
        .unwrap();
    let data = store_secret.data.unwrap();
    assert_eq!(data["access-key-id"].0, b"AKIATEST");

    // Back up now: an operator may; the run records the dump.
    let before = srv.store.get_tenant(&pro).await.unwrap();
    assert_eq!(before.last_backup_at, None);
    let run = run_op(&srv, &op, "backup_tenant", &[("id", &pro)]).await;
    let listed = backups(&srv, &op, &pro).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let first = &listed[0];
    assert_eq!(first.method, BackupMethod::OnDemand);
    assert_eq!(first.run_id, Some(run.id));
    assert!(
        first
            .location
            .starts_with(&format!("s3://tenantry-backups/{pro}/")),
        "{}",
        first.location
    );
    let after = srv.store.get_tenant(&pro).await.unwrap();
    assert_eq!(after.last_backup_at, Some(first.taken_at));
    assert_eq!(
        after.state,
        TenantState::Active,
        "a backup leaves the state alone"
    );

    // A Job the CronJob would start (as `kubectl create job --from=cronjob`):
    // the leader's sweep records it as scheduled.
    let template = cron.data["spec"]["jobTemplate"].clone();
    let mut job: Job = serde_json::from_value(serde_json::json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": { "name": "db-backup-manual", "labels": template["metadata"]["labels"] },
        "spec": template["spec"],
    }))
    .unwrap();
    job.metadata.namespace = Some(pro_ns.clone());
    Api::<Job>::namespaced(kube.clone(), &pro_ns)
        .create(&PostParams::default(), &job)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        server::provisioning::backups::sweep(&kube, &srv.store)
            .await
            .unwrap();
        if backups(&srv, &op, &pro).await.len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduled Job was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let listed = backups(&srv, &op, &pro).await;
    assert_eq!(listed[0].method, BackupMethod::Scheduled);
    assert_eq!(
        server::provisioning::backups::sweep(&kube, &srv.store)
            .await
            .unwrap(),
        0,
        "recorded once"
    );

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
