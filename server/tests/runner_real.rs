//! The provisioning runner against the real local control plane: a run
//! completes and deprovisioning removes everything; a database stuck in
//! CrashLoopBackOff fails the run on the right step and is cleaned up.
//! (A console killed mid-run is in `process_kill.rs`.)
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use app::dto::{Operation, RunOptions, RunState, StepState, TenantState};
use common::cluster::{component, test_cluster, FakeKubelet, PodFate};
use common::{tenant_on, wait_run, TestDb};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use kube::api::{Api, ListParams};
use server::cluster::Cluster;
use server::manifests::{namespace_of, RenderSettings};
use server::provisioning::{steps_for, Runner, RunnerOptions, Step};
use server::store::Store;

fn fast() -> RunnerOptions {
    RunnerOptions {
        base_backoff: Duration::from_millis(200),
        poll_every: Duration::from_millis(300),
        wait_database: Duration::from_secs(40),
        wait_application: Duration::from_secs(40),
        wait_teardown: Duration::from_secs(60),
        ..RunnerOptions::default()
    }
}

async fn start_run(store: &Store, runner: &Runner, tenant: &str, op: Operation) -> i64 {
    start_run_with(store, runner, tenant, op, &Default::default()).await
}

/// Records a run with the steps the console would plan for it.
async fn start_run_with(
    store: &Store,
    runner: &Runner,
    tenant: &str,
    op: Operation,
    options: &RunOptions,
) -> i64 {
    let t = store.get_tenant(tenant).await.unwrap();
    let (_, steps) = steps_for(store, &t, op, options).await.unwrap();
    let steps: Vec<String> = steps.iter().map(Step::stored).collect();
    let names: Vec<&str> = steps.iter().map(String::as_str).collect();
    let id = store
        .create_run_with(tenant, op, &names, "test", options, None)
        .await
        .unwrap();
    runner.wake();
    id
}

fn happy(p: &k8s_openapi::api::core::v1::Pod) -> PodFate {
    if component(p) == "migration" {
        PodFate::Succeeded
    } else {
        PodFate::Ready
    }
}

/// Names of the `K` objects Tenantry made in the namespace, as (kind, name).
async fn named<K>(cluster: &Cluster, ns: &str, out: &mut BTreeSet<(String, String)>)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let lp = ListParams::default().labels("app.kubernetes.io/managed-by=tenantry");
    let api: Api<K> = Api::namespaced(cluster.client.clone(), ns);
    for obj in api.list(&lp).await.unwrap() {
        out.insert((K::kind(&()).to_string(), obj.meta().name.clone().unwrap()));
    }
}

/// (kind, name) of every object Tenantry made in the namespace.
async fn objects(cluster: &Cluster, ns: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    named::<Deployment>(cluster, ns, &mut out).await;
    named::<StatefulSet>(cluster, ns, &mut out).await;
    named::<Service>(cluster, ns, &mut out).await;
    named::<Job>(cluster, ns, &mut out).await;
    named::<Secret>(cluster, ns, &mut out).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provision_completes_then_deprovision_removes_everything() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let db = TestDb::sqlite();
    let (store, tenant) = tenant_on(&db, "professional", "run").await;
    let ns = namespace_of(&RenderSettings::default(), &tenant);
    let _kubelet = FakeKubelet::start(cluster.client.clone(), &ns, happy);
    let runner = Runner::new(
        store.clone(),
        cluster.clone(),
        server::monitoring::watched_index(&cluster.client),
        RenderSettings::default(),
        fast(),
    );
    let task = runner.spawn();

    let run = wait_run(
        &store,
        start_run(&store, &runner, &tenant, Operation::Provision).await,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(run.state, RunState::Completed, "{:#?}", run.steps);
    assert!(
        run.steps
            .iter()
            .all(|s| s.state == StepState::Completed && s.attempts >= 1),
        "{:#?}",
        run.steps
    );
    assert!(run
        .steps
        .iter()
        .all(|s| s.started_at.is_some() && s.finished_at.is_some()));
    assert_eq!(
        store.get_tenant(&tenant).await.unwrap().state,
        TenantState::Active
    );
    let made = objects(&cluster, &ns).await;
    for expected in [
        ("Deployment", "api"),
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("Secret", "db-credentials"),
    ] {
        assert!(
            made.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} missing from {made:?}"
        );
    }
    // A second provisioning run while none is open is allowed and changes nothing.
    let again = wait_run(
        &store,
        start_run(&store, &runner, &tenant, Operation::Update).await,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(again.state, RunState::Completed);
    assert_eq!(objects(&cluster, &ns).await, made);

    let gone = wait_run(
        &store,
        start_run(&store, &runner, &tenant, Operation::Deprovision).await,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(gone.state, RunState::Completed, "{:#?}", gone.steps);
    assert!(Api::<Namespace>::all(cluster.client.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.get_tenant(&tenant).await.unwrap().state,
        TenantState::Deprovisioned
    );
    let audit = store.list_audit(&tenant, 1, 50).await.unwrap();
    assert!(audit.items.iter().any(|e| e.action == "tenant.deprovision"));
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_database_fails_its_step_and_is_cleaned_up() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let db = TestDb::sqlite();
    let (store, tenant) = tenant_on(&db, "free", "dbfail").await;
    let ns = namespace_of(&RenderSettings::default(), &tenant);
    let _kubelet = FakeKubelet::start(cluster.client.clone(), &ns, |p| {
        if component(p) == "database" {
            PodFate::CrashLoop
        } else {
            happy(p)
        }
    });
    let opts = RunnerOptions {
        wait_database: Duration::from_secs(6),
        ..fast()
    };
    let runner = Runner::new(
        store.clone(),
        cluster.clone(),
        server::monitoring::watched_index(&cluster.client),
        RenderSettings::default(),
        opts,
    );
    let task = runner.spawn();

    let run = wait_run(
        &store,
        start_run(&store, &runner, &tenant, Operation::Provision).await,
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(run.state, RunState::Failed);
    let failed: Vec<_> = run
        .steps
        .iter()
        .filter(|s| s.state == StepState::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name, "wait-database");
    let cause = failed[0].last_error.clone().unwrap_or_default();
    assert!(
        cause.contains("CrashLoopBackOff") && cause.contains("pod db-0"),
        "{cause}"
    );
    assert!(
        failed[0].log.contains("rolled back by the clean-up"),
        "{}",
        failed[0].log
    );
    // What had run reads completed, then rolled back, with its times.
    for name in ["namespace", "secrets", "database"] {
        let s = run.steps.iter().find(|s| s.name == name).unwrap();
        assert_eq!(s.state, StepState::RolledBack, "{name}");
        assert!(
            s.started_at.is_some() && s.finished_at.is_some(),
            "{name}: {s:?}"
        );
        assert_eq!(
            s.history.last().map(|a| a.outcome),
            Some(app::dto::AttemptOutcome::Completed),
            "{name}"
        );
        assert!(
            s.log.contains("rolled back by the clean-up"),
            "{name}: {}",
            s.log
        );
    }
    assert!(run
        .steps
        .iter()
        .skip_while(|s| s.name != "wait-database")
        .skip(1)
        .all(|s| s.state == StepState::Pending));
    assert!(
        Api::<Namespace>::all(cluster.client.clone())
            .get_opt(&ns)
            .await
            .unwrap()
            .is_none(),
        "no object left behind"
    );
    assert_eq!(
        store.get_tenant(&tenant).await.unwrap().state,
        TenantState::Failed
    );
    task.abort();
}
