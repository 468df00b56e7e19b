//! A release whose migrate job asks for a backup first: the rollout that
//! moves a tenant onto it dumps the database before the migrations (a
//! `pre_migrate` catalogue entry of the move's run); rolling the tenant
//! back with `restore` (admins) dumps what it replaces, puts that dump
//! back and runs the old release's objects again. A move that took no dump
//! offers no restore (422 on `restore`, nothing started).

use super::*;
use app::dto::{RolloutDto, RolloutPlan, RolloutState, RolloutTenantState};
use common::ops::{application_with_plan, rollout_until};
use k8s_openapi::api::apps::v1::Deployment;

const MIG_1: &str = r#"
database: { kind: postgres, image: "postgres:16" }
components:
  - name: api
    image: mig:1.0
    ports: [{ name: http, container_port: 8080 }]
jobs:
  - { name: schema, phase: migrate, image: "mig:1.0" }
"#;

const MIG_2: &str = r#"
database: { kind: postgres, image: "postgres:16" }
components:
  - name: api
    image: mig:2.0
    ports: [{ name: http, container_port: 8080 }]
jobs:
  - { name: schema, phase: migrate, image: "mig:2.0", backup_first: true }
"#;

/// Starts a one-wave rollout of application `mig` to `release` and waits
/// for it to complete.
async fn rolled_out(srv: &TestServer, op: &reqwest::Client, release: &str) -> RolloutDto {
    let form = [
        ("form[application]", "mig"),
        ("form[release]", release),
        ("form[waves]", "1"),
    ];
    let started: RolloutDto = json(srv.call(op, "start_rollout", &form).await, "start").await;
    let r = rollout_until(srv, op, started.id, |r| r.state != RolloutState::Running).await;
    assert_eq!(r.state, RolloutState::Completed, "{r:#?}");
    r
}

async fn api_image(kube: &kube::Client, ns: &str) -> String {
    let d = Api::<Deployment>::namespaced(kube.clone(), ns)
        .get("api")
        .await
        .unwrap();
    d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_dumps_before_its_migrations_and_a_rollback_restores_that_dump() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    if common::s3_url().is_none() {
        return;
    }
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let _kubelet = FakeKubelet::start_logged(
        kube.clone(),
        None,
        std::sync::Arc::new(|p: &k8s_openapi::api::core::v1::Pod| {
            let ns = p.metadata.namespace.as_deref().unwrap_or("");
            if ns.starts_with("tenant-mig-") {
                happy(p)
            } else {
                PodFate::LeavePending
            }
        }),
        None,
    );
    application_with_plan(&srv, ("mig", "Migrating"), MIG_1, ("demo", |_: &mut _| {})).await;
    let id = new_tenant(&srv, &op, "mig-plan", "mig-a").await;
    let ns = format!("tenant-{id}");
    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert!(api_image(&kube, &ns).await.ends_with("/mig:1.0"));

    // Only a migrate job of a dumped database may ask for a backup first.
    let bad = server::applications::parse_release(
        &MIG_2.replace("phase: migrate", "phase: post-provision"),
    )
    .expect_err("refused");
    assert!(format!("{bad:?}").contains("backup_first"), "{bad:?}");
    let app = srv.store.get_application("mig").await.unwrap();
    let spec = server::applications::parse_release(MIG_2).unwrap();
    srv.store
        .create_release(app.id, (&spec, MIG_2, ""), Some(1), "test")
        .await
        .unwrap();

    // The plan says a backup comes first; the move's run dumps before it
    // migrates, catalogued as its `pre_migrate` dump.
    let plan: RolloutPlan = json(
        srv.call(
            &op,
            "plan_rollout",
            &[
                ("form[application]", "mig"),
                ("form[release]", "2"),
                ("form[waves]", "1"),
            ],
        )
        .await,
        "plan",
    )
    .await;
    assert_eq!(
        plan.waves[0][0].change,
        "release 1 → 2 (a backup before its migrations)"
    );
    let moved = rolled_out(&srv, &op, "2").await;
    let entry = &moved.tenants[0];
    let run = srv.store.get_run(entry.run_id.unwrap()).await.unwrap();
    let names: Vec<&str> = run.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "backup",
            "migrate",
            "application",
            "wait-api"
        ]
    );
    assert!(api_image(&kube, &ns).await.ends_with("/mig:2.0"));
    let dump = backups(&srv, &op, &id)
        .await
        .into_iter()
        .find(|b| b.method == BackupMethod::PreMigrate)
        .expect("the dump before the migrations");
    assert_eq!(dump.run_id, Some(run.id));
    assert_eq!(entry.backup_before_migration, Some(dump.id));

    // Restoring it replaces the tenant's data: admins only.
    let args = [
        ("id", moved.id.to_string()),
        ("tenant", id.clone()),
        ("form[restore]", "true".into()),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = srv.call(&op, "rollback_rollout_tenant", &args).await;
    assert_eq!(res.status(), 403);
    let back: RolloutDto = json(
        srv.call(&admin, "rollback_rollout_tenant", &args).await,
        "rollback",
    )
    .await;
    let entry = &back.tenants[0];
    assert_eq!(entry.state, RolloutTenantState::RolledBack);
    let done = common::wait_run(&srv.store, entry.run_id.unwrap(), Duration::from_secs(180)).await;
    assert_eq!(
        done.state,
        app::dto::RunState::Completed,
        "{:#?}",
        done.steps
    );
    let names: Vec<&str> = done.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "backup",
            "suspend-workloads",
            "restore",
            "migrate",
            "application",
            "wait-api"
        ]
    );
    assert_eq!(done.options.rollout, Some(moved.id));
    // The restore Job read the dump from before the migrations; the data
    // it replaced was dumped first; release 1's objects are back.
    let restore = Api::<Job>::namespaced(kube.clone(), &ns)
        .get(&format!("db-restore-{}", done.id))
        .await
        .unwrap();
    let key = restore.spec.unwrap().template.spec.unwrap().containers[0]
        .env
        .clone()
        .unwrap()
        .into_iter()
        .find(|e| e.name == "BACKUP_KEY")
        .and_then(|e| e.value)
        .unwrap();
    assert!(dump.location.ends_with(&key), "{key} vs {}", dump.location);
    let migrations: Vec<String> = Api::<Job>::namespaced(kube.clone(), &ns)
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|j| j.metadata.name)
        .filter(|n| n.ends_with(&format!("-r{}", done.id)))
        .collect();
    assert!(
        !migrations.is_empty(),
        "the migrations ran again after the restore"
    );
    assert!(backups(&srv, &op, &id)
        .await
        .iter()
        .any(|b| b.method == BackupMethod::PreRestore && b.run_id == Some(done.id)));
    assert!(api_image(&kube, &ns).await.ends_with("/mig:1.0"));
    let t = srv.store.get_tenant(&id).await.unwrap();
    assert_eq!((t.release, t.state), (1, TenantState::Active));
    let audit = srv
        .store
        .search_audit(&Default::default(), 1, 100)
        .await
        .unwrap();
    assert!(
        audit.items.iter().any(|e| e.action == "rollout.rollback"
            && e.detail.contains(&format!("restoring backup {}", dump.id))),
        "the roll-back and its restore are audited"
    );

    // A move onto a release that asks for no dump offers no restore.
    let spec = server::applications::parse_release(MIG_1).unwrap();
    srv.store
        .create_release(app.id, (&spec, MIG_1, ""), Some(2), "test")
        .await
        .unwrap();
    let third = rolled_out(&srv, &op, "3").await;
    assert_eq!(third.tenants[0].backup_before_migration, None);
    let runs_before = srv.store.runs_for_tenant(&id).await.unwrap().len();
    let res = srv
        .call(
            &admin,
            "rollback_rollout_tenant",
            &[
                ("id", &third.id.to_string()),
                ("tenant", &id),
                ("form[restore]", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("restore") && text.contains("took no backup"),
        "{text}"
    );
    assert_eq!(
        srv.store.runs_for_tenant(&id).await.unwrap().len(),
        runs_before,
        "nothing started"
    );
    assert_eq!(srv.store.get_tenant(&id).await.unwrap().release, 3);
    srv.stop().await;
}
