//! Operations through the console's JSON API, executed by the engine on the
//! real local control plane: provision, a tier change shown as a diff first
//! and applied in place, suspend and resume, deprovision with a backup; a
//! finalizer that blocks deprovisioning is named, and only an admin may
//! force it; grace periods and schedules wait and can be cancelled; a
//! failed step is retried from the API.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

#[path = "operations_real/api_keys.rs"]
mod api_keys;
#[path = "operations_real/applications.rs"]
mod applications;
mod common;
#[path = "operations_real/contract.rs"]
mod contract;
#[path = "operations_real/custom_plan.rs"]
mod custom_plan;
#[path = "operations_real/domains.rs"]
mod domains;
#[path = "operations_real/rollouts.rs"]
mod rollouts;
#[path = "operations_real/rotation.rs"]
mod rotation;
#[path = "operations_real/seeded.rs"]
mod seeded;
#[path = "operations_real/welcome.rs"]
mod welcome;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::dto::{ChangePreview, RunDto, RunState, StepState, TenantDto, TenantState};
use common::cluster::{component, test_cluster, FakeKubelet, PodFate};
use common::ops::{fast, happy, new_tenant, run_op};
use common::{json, wait_run, TestDb, TestServer};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, PostParams};
use server::provisioning::RunnerOptions;

async fn state(srv: &TestServer, id: &str) -> TenantState {
    let t = srv.store.get_tenant(id).await.unwrap();
    if t.state == TenantState::Degraded {
        eprintln!("{id} degraded: {:?}", t.state_detail);
    }
    t.state
}

/// The URLs the console lists for a tenant now.
async fn served(srv: &TestServer, client: &reqwest::Client, id: &str) -> Vec<String> {
    let t: app::dto::TenantDto = json(
        srv.call(client, "get_tenant", &[("id", id)]).await,
        "tenant",
    )
    .await;
    t.urls
}

async fn replicas(client: &kube::Client, ns: &str, name: &str) -> i32 {
    Api::<Deployment>::namespaced(client.clone(), ns)
        .get(name)
        .await
        .unwrap()
        .spec
        .unwrap()
        .replicas
        .unwrap_or(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_lives_its_whole_life_through_the_api() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let (op, viewer) = (
        srv.signed_in("operator").await,
        srv.signed_in("viewer").await,
    );
    let id = new_tenant(&srv, &op, "professional", "life").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);

    // A viewer may not start anything; the server says so.
    let res = srv.call(&viewer, "provision_tenant", &[("id", &id)]).await;
    assert_eq!(res.status(), 403);
    // Suspending a tenant that was never provisioned is refused with what would work.
    let res = srv.call(&op, "suspend_tenant", &[("id", &id)]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Allowed: provision"));

    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert_eq!(state(&srv, &id).await, TenantState::Active);
    assert!(srv
        .store
        .get_tenant(&id)
        .await
        .unwrap()
        .observed_at
        .is_some());
    assert_eq!(replicas(&kube, &ns, "api").await, 2);
    let platform = served(&srv, &op, &id).await;
    assert_eq!(platform.len(), 1, "{platform:?}");
    assert!(platform[0].starts_with(&format!("https://{id}.")));

    // A custom domain edited on a live tenant is listed once an update
    // serves it (the change below), never before.
    let res = srv
        .call(
            &op,
            "update_tenant",
            &[
                ("id", &id),
                ("form[company_name]", "Operations test"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[custom_domain]", "shop.example.org"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(served(&srv, &op, &id).await, platform, "not served yet");

    // The diff first: Professional -> Enterprise changes replicas and quota.
    let enterprise = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "enterprise")
        .unwrap();
    let tid = enterprise.id.to_string();
    let preview: ChangePreview = json(
        srv.call(
            &viewer,
            "preview_tenant_change",
            &[("id", &id), ("form[template_id]", &tid)],
        )
        .await,
        "preview",
    )
    .await;
    assert!(preview.compared_with_live);
    let field = |kind: &str, name: &str, path: &str| {
        preview
            .objects
            .iter()
            .find(|o| o.kind == kind && o.name == name)
            .and_then(|o| o.fields.iter().find(|f| f.path == path))
            .map(|f| (f.live.clone(), f.desired.clone()))
    };
    assert_eq!(
        field("Deployment", "api", "spec.replicas"),
        Some((Some("2".into()), Some("3".into())))
    );
    assert_eq!(
        field("ResourceQuota", "tenant-quota", "spec.hard.limits.cpu"),
        Some((Some("8".into()), Some("32000m".into())))
    );
    let secret = Api::<k8s_openapi::api::core::v1::Secret>::namespaced(kube.clone(), &ns)
        .get("db-credentials")
        .await
        .unwrap();
    let password = String::from_utf8(secret.data.unwrap()["password"].0.clone()).unwrap();
    assert!(
        !preview.yaml.contains(&password),
        "no secret value in a dry-run"
    );
    // The preview changed nothing.
    assert_eq!(replicas(&kube, &ns, "api").await, 2);

    run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", &id), ("form[template_id]", &tid)],
    )
    .await;
    assert_eq!(replicas(&kube, &ns, "api").await, 3);
    assert_eq!(replicas(&kube, &ns, "web").await, 3);
    assert_eq!(
        served(&srv, &op, &id).await,
        [platform[0].clone(), "https://shop.example.org".to_string()],
        "the update served the new domain"
    );
    let quota = Api::<ResourceQuota>::namespaced(kube.clone(), &ns)
        .get("tenant-quota")
        .await
        .unwrap();
    let hard = quota.spec.unwrap().hard.unwrap();
    assert_eq!(hard["limits.cpu"].0, "32");
    let t = srv.store.get_tenant(&id).await.unwrap();
    assert_eq!(
        (t.template_id, t.template_version),
        (enterprise.id, enterprise.version)
    );
    // Enterprise asks for three PostgreSQL instances; this cluster serves
    // no CloudNativePG, so the tenant's page says it runs one.
    let runs: app::dto::ReleaseDto = json(
        srv.call(&viewer, "release_of_tenant", &[("id", &id)]).await,
        "release",
    )
    .await;
    assert!(
        runs.warnings
            .iter()
            .any(|w| w.contains("3 PostgreSQL instances")),
        "{:?}",
        runs.warnings
    );
    // A new tenant on that plan is refused, naming why, before anything
    // is stored.
    let res = srv
        .call(
            &op,
            "create_tenant",
            &[
                ("form[company_name]", "Too big"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", &tid),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("template_id") && body.contains("CloudNativePG"),
        "{body}"
    );
    // A replica override on top of the tier.
    run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", &id), ("form[web_replicas]", "5")],
    )
    .await;
    assert_eq!(replicas(&kube, &ns, "web").await, 5);
    assert_eq!(replicas(&kube, &ns, "api").await, 3);

    // Suspend: workloads at zero, no Ingress; resume brings both back.
    run_op(&srv, &op, "suspend_tenant", &[("id", &id)]).await;
    assert_eq!(state(&srv, &id).await, TenantState::Suspended);
    assert_eq!(replicas(&kube, &ns, "api").await, 0);
    assert_eq!(replicas(&kube, &ns, "web").await, 0);
    let ingresses: Api<Ingress> = Api::namespaced(kube.clone(), &ns);
    assert!(ingresses.get_opt("tenant").await.unwrap().is_none());
    assert!(
        served(&srv, &op, &id).await.is_empty(),
        "suspended: not served"
    );
    run_op(&srv, &op, "resume_tenant", &[("id", &id)]).await;
    assert_eq!(served(&srv, &op, &id).await.len(), 2);
    assert_eq!(state(&srv, &id).await, TenantState::Active);
    assert_eq!(replicas(&kube, &ns, "web").await, 5);
    assert!(ingresses.get_opt("tenant").await.unwrap().is_some());

    // Deprovisioning needs the typed confirmation, named as the field.
    let res = srv
        .call(
            &op,
            "deprovision_tenant",
            &[
                ("id", &id),
                ("form[confirm]", "nope"),
                ("form[backup]", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("confirm"));
    let gone = run_op(
        &srv,
        &op,
        "deprovision_tenant",
        &[
            ("id", &id),
            ("form[confirm]", &id),
            ("form[backup]", "true"),
        ],
    )
    .await;
    let names: Vec<&str> = gone.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["backup", "suspend-workloads", "delete-namespace"]);
    assert!(
        gone.steps[0].log.contains("db-backup-"),
        "{}",
        gone.steps[0].log
    );
    assert!(Api::<Namespace>::all(kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none());
    assert_eq!(state(&srv, &id).await, TenantState::Deprovisioned);
    assert!(
        served(&srv, &op, &id).await.is_empty(),
        "deprovisioned: no URL"
    );
    let audit = srv.store.list_audit(&id, 1, 50).await.unwrap();
    for action in [
        "tenant.provision",
        "tenant.change",
        "tenant.update",
        "tenant.suspend",
        "tenant.resume",
        "tenant.deprovision",
    ] {
        assert!(
            audit.items.iter().any(|e| e.action == action),
            "{action} missing from the audit log"
        );
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalizer_blocks_deprovisioning_by_name_until_an_admin_forces_it() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let opts = RunnerOptions {
        wait_teardown: Duration::from_secs(6),
        ..fast()
    };
    let srv = TestServer::start_engine(&db.url, cluster, opts).await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let id = new_tenant(&srv, &op, "demo", "held").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;

    // Tenantry's own object (labelled), so an admin's force may strip it.
    let held: Service = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "held", "finalizers": ["example.com/hold"], "labels": {
            "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id } },
        "spec": { "ports": [{ "port": 80, "protocol": "TCP" }] }
    }))
    .unwrap();
    Api::<Service>::namespaced(kube.clone(), &ns)
        .create(&PostParams::default(), &held)
        .await
        .unwrap();

    let run: RunDto = json(
        srv.call(
            &op,
            "deprovision_tenant",
            &[("id", &id), ("form[confirm]", &id)],
        )
        .await,
        "deprovision",
    )
    .await;
    let run = wait_run(&srv.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(run.state, RunState::Failed);
    let failed = run
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap();
    assert_eq!(failed.name, "delete-namespace");
    let cause = failed.last_error.clone().unwrap();
    assert!(
        cause.contains(&format!(
            "Service {ns}/held is held by finalizer(s) example.com/hold"
        )),
        "{cause}"
    );
    assert_eq!(state(&srv, &id).await, TenantState::Failed);

    // Force is for admins only.
    let forced = [
        ("id", id.as_str()),
        ("form[confirm]", id.as_str()),
        ("form[force]", "true"),
    ];
    let res = srv.call(&op, "deprovision_tenant", &forced).await;
    assert_eq!(res.status(), 403);
    let done = run_op(&srv, &admin, "deprovision_tenant", &forced).await;
    let log = &done.steps.last().unwrap().log;
    assert!(
        log.contains("forced: removed finalizer(s) example.com/hold from Service"),
        "{log}"
    );
    assert!(Api::<Namespace>::all(kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none());
    assert_eq!(state(&srv, &id).await, TenantState::Deprovisioned);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_periods_and_schedules_wait_and_can_be_cancelled() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;
    let id = new_tenant(&srv, &op, "demo", "grace").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;

    // A grace period cuts access at once and waits, holding no worker.
    let run: RunDto = json(
        srv.call(
            &op,
            "deprovision_tenant",
            &[
                ("id", &id),
                ("form[confirm]", &id),
                ("form[grace_hours]", "1"),
            ],
        )
        .await,
        "deprovision",
    )
    .await;
    let start = Instant::now();
    let waiting = loop {
        let r = srv.store.get_run(run.id).await.unwrap();
        if r.not_before.is_some() && r.state == RunState::Pending {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{r:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let hour_ahead = server::store::now_ms() + 3_600_000;
    assert!((waiting.not_before.unwrap() - hour_ahead).abs() < 120_000);
    assert_eq!(waiting.steps[0].state, StepState::Completed);
    assert_eq!(waiting.steps[1].name, "grace-period");
    assert!(waiting.steps[1].log.contains("waiting until"));
    assert_eq!(replicas(&kube, &ns, "api").await, 0);
    assert_eq!(state(&srv, &id).await, TenantState::Deprovisioning);
    // Cancelled during the grace period: the tenant stays, suspended.
    let cancelled: RunDto = json(
        srv.call(&op, "cancel_run", &[("id", &run.id.to_string())])
            .await,
        "cancel",
    )
    .await;
    assert_eq!(cancelled.state, RunState::Cancelled);
    assert_eq!(state(&srv, &id).await, TenantState::Suspended);
    assert!(Api::<Namespace>::all(kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_some());

    // A scheduled deprovisioning does not start before its time.
    let tomorrow = server::store::format_ms(server::store::now_ms() + 86_400_000).replace(' ', "T");
    let run: RunDto = json(
        srv.call(
            &op,
            "deprovision_tenant",
            &[
                ("id", &id),
                ("form[confirm]", &id),
                ("form[scheduled_at]", &tomorrow),
            ],
        )
        .await,
        "schedule",
    )
    .await;
    assert!(run.not_before.is_some());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let r = srv.store.get_run(run.id).await.unwrap();
    assert_eq!(r.state, RunState::Pending);
    assert!(r.steps.iter().all(|s| s.attempts == 0), "{r:#?}");
    let res = srv
        .call(&op, "cancel_run", &[("id", &run.id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(state(&srv, &id).await, TenantState::Active);
    // A date in the past is refused, naming the field.
    let res = srv
        .call(
            &op,
            "deprovision_tenant",
            &[
                ("id", &id),
                ("form[confirm]", &id),
                ("form[scheduled_at]", "2020-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("scheduled_at"));
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_is_retried_from_the_api_and_succeeds() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let opts = RunnerOptions {
        wait_database: Duration::from_secs(6),
        ..fast()
    };
    let srv = TestServer::start_engine(&db.url, cluster, opts).await;
    let (op, viewer) = (
        srv.signed_in("operator").await,
        srv.signed_in("viewer").await,
    );
    let id = new_tenant(&srv, &op, "free", "retry").await;
    let ns = format!("tenant-{id}");
    let broken = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&broken);
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, move |p| {
        if component(p) == "database" && flag.load(Ordering::SeqCst) {
            PodFate::CrashLoop
        } else {
            happy(p)
        }
    });
    let run: RunDto = json(
        srv.call(&op, "provision_tenant", &[("id", &id)]).await,
        "provision",
    )
    .await;
    let failed = wait_run(&srv.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(failed.state, RunState::Failed);
    let step = failed
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap();
    assert_eq!(step.name, "wait-database");
    assert!(step
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("CrashLoopBackOff"));
    let t = srv.store.get_tenant(&id).await.unwrap();
    assert_eq!(t.state, TenantState::Failed);
    assert!(t
        .state_detail
        .unwrap_or_default()
        .contains("CrashLoopBackOff"));

    let args = [
        ("id", run.id.to_string()),
        ("position", step.position.to_string()),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(srv.call(&viewer, "retry_step", &args).await.status(), 403);
    broken.store(false, Ordering::SeqCst);
    let again: RunDto = json(srv.call(&op, "retry_step", &args).await, "retry").await;
    assert_eq!(again.id, run.id);
    let done = wait_run(&srv.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(done.state, RunState::Completed, "{:#?}", done.steps);
    assert_eq!(state(&srv, &id).await, TenantState::Active);
    // Retrying a step that did not fail is refused.
    assert_eq!(srv.call(&op, "retry_step", &args).await.status(), 409);
    let runs: app::dto::Page<RunDto> = json(
        srv.call(&viewer, "list_runs", &[("query[tenant]", &id)])
            .await,
        "list_runs",
    )
    .await;
    assert_eq!(runs.total, 1);
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}
