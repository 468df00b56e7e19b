//! The tenant contract on the real control plane: a release that takes the
//! tenant's configuration and declares a health endpoint, on a plan with
//! edge limits. The endpoint is a real HTTP server in a network namespace
//! of the test's, which the tenant's pod "is" (the fake kubelet binds it
//! and reports that address), so the API server's service proxy reaches
//! it: 200 completes the run, 503 fails it with the answer, and a retry
//! after the fix completes it. A post-provision job that fails twice is
//! run again by its own limit (3 attempts), each attempt in the timeline.
//! A run past its plan's run timeout fails where it waits, and the tenant,
//! live before, keeps its namespace.

use super::*;
use common::cluster::job_named;
use common::netns::HealthServer;
use common::ops::{application_with_plan, change_fails, template};
use k8s_openapi::api::core::v1::ConfigMap;

const PROBED: &str = r#"
components:
  - name: api
    image: probed:1.0
    ports: [{ name: http, container_port: 8080 }]
    route: { path: / }
jobs:
  - { name: welcome, phase: post-provision, image: "probed:1.0" }
  - { name: flaky, phase: post-provision, image: "probed:1.0", backoff_limit: 0, attempts: 3 }
contract:
  config_path: /etc/tenant
  health:
    - { component: api, path: /healthz, timeout_seconds: 15 }
"#;

/// The mount paths of a pod template's first container.
fn mounts(pod: Option<&k8s_openapi::api::core::v1::PodSpec>) -> Vec<String> {
    pod.and_then(|p| p.containers.first())
        .and_then(|c| c.volume_mounts.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.mount_path)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_gets_its_configuration_edge_limits_and_health_check() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let health = HealthServer::start();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;

    let limits = |f: &mut app::dto::TemplateForm| {
        f.limits = "requests-per-minute=600, request-body-mb=20, seats=5".into();
    };
    let form =
        application_with_plan(&srv, ("probed", "Probed"), PROBED, ("professional", limits)).await;

    let id = new_tenant(&srv, &op, "probed-plan", "probed").await;
    let ns = format!("tenant-{id}");
    let at = health.ip;
    let stall = Arc::new(AtomicBool::new(false));
    let stalled = stall.clone();
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, move |p| {
        let job = p
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("job-name"))
            .cloned()
            .unwrap_or_default();
        match component(p) {
            // The flaky job's first two Jobs fail; its third succeeds.
            "job" if job.starts_with("post-provision-flaky-") && !job.ends_with("-a3") => {
                PodFate::Failed
            }
            "job" | "migration" => PodFate::Succeeded,
            _ if stalled.load(Ordering::SeqCst) => PodFate::LeavePending,
            _ => PodFate::ReadyAt(at),
        }
    });

    // Provisioning ends with the health check, which the server answers.
    let run = run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    let last = run.steps.last().unwrap();
    assert_eq!(last.name, "health", "{:#?}", run.steps);
    assert!(
        last.log.contains("api:http/healthz answered 2xx"),
        "{}",
        last.log
    );
    assert_eq!(state(&srv, &id).await, TenantState::Active);
    let flaky = run
        .steps
        .iter()
        .find(|s| s.name == "post-provision/flaky")
        .unwrap();
    assert_eq!((flaky.attempts, flaky.history.len()), (3, 3), "{flaky:#?}");
    for said in [
        "attempt 1 of 3 failed",
        "attempt 2 of 3 failed",
        "-a3 completed (attempt 3 of 3)",
    ] {
        assert!(flaky.log.contains(said), "{said}: {}", flaky.log);
    }

    // Its configuration: the tenant, its plan's limits, in every pod.
    let config = Api::<ConfigMap>::namespaced(kube.clone(), &ns)
        .get("tenant-config")
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(
        config
            .data
            .as_ref()
            .and_then(|d| d.get("tenant.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(doc["tenant"]["id"], id.as_str());
    assert_eq!(doc["plan"]["key"], "probed-plan");
    assert_eq!(doc["plan"]["limits"]["seats"], 5);
    let deployment = Api::<Deployment>::namespaced(kube.clone(), &ns)
        .get("api")
        .await
        .unwrap();
    let template = deployment.spec.unwrap().template;
    assert!(mounts(template.spec.as_ref()).contains(&"/etc/tenant".to_string()));
    let welcome = job_named(&kube, &ns, "post-provision-welcome-").await;
    let job_pod = welcome.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    assert!(mounts(job_pod).contains(&"/etc/tenant".to_string()));

    // The plan's edge limits, as ingress-nginx reads them.
    let ingress = Api::<Ingress>::namespaced(kube.clone(), &ns)
        .get("tenant")
        .await
        .unwrap();
    let notes = ingress.metadata.annotations.unwrap_or_default();
    assert_eq!(
        notes
            .get("nginx.ingress.kubernetes.io/limit-rpm")
            .map(String::as_str),
        Some("600")
    );
    assert_eq!(
        notes
            .get("nginx.ingress.kubernetes.io/proxy-body-size")
            .map(String::as_str),
        Some("20m")
    );

    // The endpoint fails: the update run fails on the check, quoting the
    // answer; the tenant keeps its namespace.
    health.answer(503);
    let (run, step) = change_fails(&srv, &op, &id, &[("form[api_replicas]", "2")]).await;
    assert_eq!(step.name, "health");
    let error = step.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("did not answer 2xx within 15s")
            && error.contains("503")
            && error.contains("status 503 from the test's server at /healthz"),
        "{error}"
    );
    assert!(
        Api::<Namespace>::all(kube.clone())
            .get_opt(&ns)
            .await
            .unwrap()
            .is_some(),
        "a failed check removes nothing"
    );

    // Fixed: the check retried from the run completes it.
    health.answer(200);
    let args = [
        ("id", run.to_string()),
        ("position", step.position.to_string()),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _: RunDto = json(srv.call(&op, "retry_step", &args).await, "retry").await;
    let done = wait_run(&srv.store, run, Duration::from_secs(120)).await;
    assert_eq!(done.state, RunState::Completed, "{:#?}", done.steps);
    assert_eq!(state(&srv, &id).await, TenantState::Active);

    // A plan whose runs may take 10 s (below the form's minimum: a test's
    // bound) and new pods that never start: the move fails in the wait,
    // naming the timeout, and removes nothing.
    stall.store(true, Ordering::SeqCst);
    let mut quick = form.clone();
    quick.key = "probed-quick".into();
    quick.name = "Probed quick".into();
    let mut quick = quick.validate().unwrap();
    quick.spec.run_timeout_secs = 10;
    quick.spec.cpu_limit_m += 100;
    let quick = srv.store.create_template(&quick, "test").await.unwrap();
    let quick = quick.id.to_string();
    let (_, step) = change_fails(&srv, &op, &id, &[("form[template_id]", &quick)]).await;
    assert_eq!(step.name, "wait-api");
    assert!(
        step.last_error
            .as_deref()
            .is_some_and(|e| e.contains("run timeout (10 s)")),
        "{step:#?}"
    );
    assert!(Api::<Namespace>::all(kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_some());
    assert!(Api::<ConfigMap>::namespaced(kube.clone(), &ns)
        .get_opt("tenant-config")
        .await
        .unwrap()
        .is_some());
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}

/// Provisioning scheduled like a deprovisioning: the record is made at
/// once, its run waits for its time and can be cancelled before it starts;
/// a time in the past, or a time without provisioning, is refused on
/// `provision_at` with nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_can_be_scheduled_for_later() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;
    let template = template(&srv, "professional").await.id.to_string();
    let id = common::cluster::unique_id("later");
    let tomorrow = server::store::format_ms(server::store::now_ms() + 86_400_000).replace(' ', "T");
    let create = |provision: &'static str, at: String| {
        let (srv, op, template, id) = (&srv, &op, template.clone(), id.clone());
        async move {
            srv.call(
                op,
                "create_tenant",
                &[
                    ("form[company_name]", "Later Ltd"),
                    ("form[owner_email]", "owner@example.com"),
                    ("form[owner_name]", "Owner"),
                    ("form[template_id]", &template),
                    ("form[tenant_id]", &id),
                    ("form[provision]", provision),
                    ("form[provision_at]", &at),
                ],
            )
            .await
        }
    };
    for (provision, at, says) in [
        (
            "true",
            "2020-01-01T00:00".to_string(),
            "must be in the future",
        ),
        ("false", tomorrow.clone(), "ask for provisioning too"),
    ] {
        let res = create(provision, at).await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("provision_at") && body.contains(says),
            "{body}"
        );
        assert!(srv.store.get_tenant(&id).await.is_err(), "nothing stored");
    }

    let made: TenantDto = json(create("true", tomorrow).await, "create").await;
    let runs: app::dto::Page<RunDto> = json(
        srv.call(&op, "list_runs", &[("query[tenant]", &made.id)])
            .await,
        "runs",
    )
    .await;
    assert_eq!(runs.total, 1);
    let run = &runs.items[0];
    let at = run.not_before.expect("scheduled");
    assert!((at - (server::store::now_ms() + 86_400_000)).abs() < 120_000);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = srv.store.get_run(run.id).await.unwrap();
    assert_eq!(waiting.state, RunState::Pending);
    assert!(waiting.steps.iter().all(|s| s.attempts == 0));
    let res = srv
        .call(&op, "cancel_run", &[("id", &run.id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    assert!(Api::<Namespace>::all(kube.clone())
        .get_opt(&made.namespace)
        .await
        .unwrap()
        .is_none());
    srv.stop().await;
}
