//! A rollout on the real control plane: twelve tenants moved to a new
//! release in waves of 1, 3 and 8. The fake kubelet breaks one tenant of
//! the second wave: the rollout pauses by itself naming it, its step and
//! the cause, and the third wave is untouched; fixed, resumed, it
//! completes, every run recording the rollout. A second rollout pauses
//! when its canary turns unhealthy during the soak; aborted, it lists the
//! tenants it moved, which stay; the canary is then rolled back.

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use app::dto::{RolloutDto, RolloutPlan, RolloutState, RolloutTenantState};
use common::ops::{application_with_plan, rollout_until as until};
use k8s_openapi::api::core::v1::Pod;

const FLEET_1: &str = r#"
components:
  - name: api
    image: fleet:1.0
    ports: [{ name: http, container_port: 8080 }]
    route: { path: / }
"#;

const FLEET_2: &str = r#"
components:
  - name: api
    image: fleet:2.0
    ports: [{ name: http, container_port: 8080 }]
    route: { path: / }
"#;

fn image(p: &Pod) -> &str {
    p.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.as_deref())
        .unwrap_or("")
}

fn form<'a>(release: &'a str, waves: &'a str, soak: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("form[application]", "fleet"),
        ("form[release]", release),
        ("form[waves]", waves),
        ("form[parallelism]", "2"),
        ("form[soak_secs]", soak),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_in_waves_pauses_on_a_broken_tenant_resumes_and_aborts_keeping_what_moved() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let options = RunnerOptions {
        wait_application: Duration::from_secs(4),
        ..fast()
    };
    let srv = TestServer::start_engine(&db.url, cluster, options).await;
    let op = srv.signed_in("operator").await;
    let viewer = srv.signed_in("viewer").await;
    application_with_plan(&srv, ("fleet", "Fleet"), FLEET_1, ("free", |_: &mut _| {})).await;

    // Twelve tenants on release 1; one kubelet each, which breaks the
    // victim's new pods while `broken` holds.
    let broken = Arc::new(AtomicBool::new(false));
    let victim: Arc<std::sync::Mutex<String>> = Arc::default();
    let mut ids = vec![];
    let mut kubelets = vec![];
    for n in 0..12 {
        let id = new_tenant(&srv, &op, "fleet-plan", &format!("fleet{n}")).await;
        let ns = format!("tenant-{id}");
        let (broken, victim, me) = (broken.clone(), victim.clone(), id.clone());
        kubelets.push(FakeKubelet::start(kube.clone(), &ns, move |p| {
            let mine = *victim.lock().unwrap() == me;
            if mine && broken.load(Ordering::SeqCst) && image(p).ends_with("fleet:2.0") {
                PodFate::CrashLoop
            } else {
                happy(p)
            }
        }));
        run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
        ids.push(id);
    }

    // Release 2, once the tenants run release 1.
    let app = srv.store.get_application("fleet").await.unwrap();
    let spec = server::applications::parse_release(FLEET_2).unwrap();
    srv.store
        .create_release(app.id, (&spec, FLEET_2, ""), Some(1), "test")
        .await
        .unwrap();

    // The plan: 1, 3 and 8 tenants, each moving from release 1 to 2;
    // nothing is stored.
    let plan: RolloutPlan = json(
        srv.call(&viewer, "plan_rollout", &form("2", "1, 3, 8", "1"))
            .await,
        "plan",
    )
    .await;
    let sizes: Vec<usize> = plan.waves.iter().map(Vec::len).collect();
    assert_eq!(sizes, [1, 3, 8], "{plan:#?}");
    assert!(plan
        .waves
        .iter()
        .flatten()
        .all(|t| t.change == "release 1 → 2"));
    let bad = srv
        .call(&op, "plan_rollout", &form("two", "1, 0", "x"))
        .await;
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    for field in ["release", "waves", "soak_secs"] {
        assert!(text.contains(field), "{field}: {text}");
    }
    let missing = srv.call(&op, "plan_rollout", &form("9", "1", "")).await;
    assert_eq!(missing.status(), 422);
    let text = missing.text().await.unwrap();
    assert!(text.contains("there is no release 9"), "{text}");
    let refused = srv
        .call(&viewer, "start_rollout", &form("2", "1, 3, 8", "1"))
        .await;
    assert_eq!(refused.status(), 403);

    // The victim is the second tenant of the second wave.
    let wave2: Vec<String> = plan.waves[1].iter().map(|t| t.tenant_id.clone()).collect();
    let wave3: Vec<String> = plan.waves[2].iter().map(|t| t.tenant_id.clone()).collect();
    *victim.lock().unwrap() = wave2[1].clone();
    broken.store(true, Ordering::SeqCst);
    let started: RolloutDto = json(
        srv.call(&op, "start_rollout", &form("2", "1, 3, 8", "1"))
            .await,
        "start",
    )
    .await;
    assert_eq!((started.waves, started.tenants.len()), (3, 12));
    let id = started.id;

    // It pauses by itself, naming the tenant, the step and the cause.
    let paused = until(&srv, &op, id, |r| r.state != RolloutState::Running).await;
    assert_eq!(paused.state, RolloutState::Paused, "{paused:#?}");
    let reason = paused.reason.clone().unwrap_or_default();
    assert!(
        reason.contains(&wave2[1])
            && reason.contains("wait-api")
            && reason.contains("CrashLoopBackOff"),
        "{reason}"
    );
    assert_eq!(paused.wave, 2);
    // The third wave is untouched: waiting, on release 1, no run of it.
    for t in paused
        .tenants
        .iter()
        .filter(|t| wave3.contains(&t.tenant_id))
    {
        assert_eq!(t.state, RolloutTenantState::Pending);
        assert_eq!(srv.store.get_tenant(&t.tenant_id).await.unwrap().release, 1);
        assert_eq!(
            srv.store.rollout_run_of(id, &t.tenant_id, 0).await.unwrap(),
            None
        );
    }

    // Fixed (its pods made anew, now healthy) and resumed: it completes.
    broken.store(false, Ordering::SeqCst);
    let ns = format!("tenant-{}", wave2[1]);
    Api::<Pod>::namespaced(kube.clone(), &ns)
        .delete_collection(&Default::default(), &Default::default())
        .await
        .unwrap();
    let res = srv
        .call(&op, "resume_rollout", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let done = until(&srv, &op, id, |r| r.state != RolloutState::Running).await;
    assert_eq!(done.state, RolloutState::Completed, "{done:#?}");
    assert!(done
        .tenants
        .iter()
        .all(|t| t.state == RolloutTenantState::Done));
    for t in &ids {
        assert_eq!(srv.store.get_tenant(t).await.unwrap().release, 2, "{t}");
        let run = srv
            .store
            .rollout_run_of(id, t, 0)
            .await
            .unwrap()
            .expect("its run");
        let run = srv.store.get_run(run).await.unwrap();
        assert_eq!(
            run.options.rollout,
            Some(id),
            "each run records the rollout"
        );
    }

    // A second rollout back to release 1: the canary turns unhealthy
    // during its soak (its pod starts crash-looping), which pauses the
    // rollout naming it; aborted, the canary stays moved and the others
    // were never touched.
    let back: RolloutDto = json(
        srv.call(&op, "start_rollout", &form("1", "1, 100%", "600"))
            .await,
        "back",
    )
    .await;
    let soaking = until(&srv, &op, back.id, |r| r.soak_started_at.is_some()).await;
    let canary = soaking.tenants[0].tenant_id.clone();
    let ns = format!("tenant-{canary}");
    let pod = Api::<Pod>::namespaced(kube.clone(), &ns)
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| component(p) == "api" && image(p).ends_with("fleet:1.0"))
        .and_then(|p| p.metadata.name)
        .expect("the canary's new pod");
    common::cluster::befall(&kube, &ns, &pod, PodFate::CrashLoop).await;
    let paused = until(&srv, &op, back.id, |r| r.state != RolloutState::Running).await;
    let reason = paused.reason.clone().unwrap_or_default();
    assert!(
        paused.state == RolloutState::Paused
            && reason.contains(&canary)
            && reason.contains("unhealthy during the soak"),
        "{paused:#?}"
    );
    let aborted: RolloutDto = json(
        srv.call(&op, "abort_rollout", &[("id", &back.id.to_string())])
            .await,
        "abort",
    )
    .await;
    assert_eq!(aborted.state, RolloutState::Aborted);
    let reason = aborted.reason.unwrap_or_default();
    assert!(
        reason.contains(&format!("they stay): {canary}")),
        "{reason}"
    );
    assert_eq!(srv.store.get_tenant(&canary).await.unwrap().release, 1);
    for t in ids.iter().filter(|t| **t != canary) {
        assert_eq!(srv.store.get_tenant(t).await.unwrap().release, 2, "{t}");
    }
    let again = srv
        .call(&op, "resume_rollout", &[("id", &back.id.to_string())])
        .await;
    assert_eq!(again.status(), 409);

    // The canary rolled back: an update run returns it to release 2, the
    // run recording the rollout; the viewer may not.
    let args = [("id", back.id.to_string()), ("tenant", canary.clone())];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = srv.call(&viewer, "rollback_rollout_tenant", &args).await;
    assert_eq!(res.status(), 403);
    let rolled: RolloutDto = json(
        srv.call(&op, "rollback_rollout_tenant", &args).await,
        "rollback",
    )
    .await;
    let entry = rolled
        .tenants
        .iter()
        .find(|t| t.tenant_id == canary)
        .unwrap();
    assert_eq!(entry.state, RolloutTenantState::RolledBack);
    let run = wait_run(&srv.store, entry.run_id.unwrap(), Duration::from_secs(60)).await;
    assert_eq!(run.state, RunState::Completed, "{:#?}", run.steps);
    assert_eq!(run.options.rollout, Some(back.id));
    assert_eq!(srv.store.get_tenant(&canary).await.unwrap().release, 2);
    let twice = srv.call(&op, "rollback_rollout_tenant", &args).await;
    assert_eq!(twice.status(), 409);

    // A bulk change of plan is a rollout: the tenants it can move go one
    // first, then the rest; one that is not the plan's application's is
    // listed with why; the plan is required, by name.
    let big = common::ops::plan_form(&srv, "fleet-plan", ("fleet-big", "fleet")).await;
    let big = srv
        .store
        .create_template(&big.validate().unwrap(), "test")
        .await
        .unwrap();
    let (big_id, pair) = (big.id.to_string(), [ids[1].clone(), ids[2].clone()]);
    let bulk = |template: &str| {
        vec![
            ("form[action]", "change_plan".to_string()),
            ("form[template_id]", template.to_string()),
            ("form[ids][0]", pair[0].clone()),
            ("form[ids][1]", pair[1].clone()),
            ("form[ids][2]", "nobody".to_string()),
        ]
    };
    let args = bulk("");
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = srv.call(&op, "bulk_action", &args).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("template_id"));
    let args = bulk(&big_id);
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let results: Vec<app::dto::BulkResult> =
        json(srv.call(&op, "bulk_action", &args).await, "bulk").await;
    let moving: Vec<&app::dto::BulkResult> = results.iter().filter(|r| r.ok).collect();
    assert_eq!(moving.len(), 2, "{results:#?}");
    let rollout_id = moving[0].rollout_id.expect("the rollout");
    assert!(moving.iter().all(|r| r.rollout_id == Some(rollout_id)));
    let nobody = results.iter().find(|r| r.tenant_id == "nobody").unwrap();
    assert!(
        !nobody.ok && nobody.message.contains("not a tenant of fleet"),
        "{nobody:?}"
    );
    let done = until(&srv, &op, rollout_id, |r| r.state != RolloutState::Running).await;
    assert_eq!(done.state, RolloutState::Completed, "{done:#?}");
    assert_eq!(done.waves, 2, "one first, then the rest");
    assert!(done.tenants.iter().all(|t| t.change.starts_with("plan ")));
    for t in &pair {
        assert_eq!(
            srv.store.get_tenant(t).await.unwrap().template_id,
            big.id,
            "{t}"
        );
    }

    // Every decision is audited.
    let filter = server::store::AuditFilter {
        action: "rollout.".into(),
        ..Default::default()
    };
    let mut actions: Vec<String> = srv
        .store
        .search_audit(&filter, 1, 50)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    actions.reverse();
    for wanted in [
        "rollout.start",
        "rollout.paused",
        "rollout.resume",
        "rollout.completed",
        "rollout.abort",
        "rollout.rollback",
    ] {
        assert!(actions.iter().any(|a| a == wanted), "{wanted}: {actions:?}");
    }
    drop(kubelets);
}
