//! A transient failure: the local control plane's API server is stopped for
//! 20 seconds in the middle of a run, then started again. The run waits
//! (a wait on the cluster index through the outage, or a request retried
//! with backoff) and completes. Alone in its test binary, so no
//! other test shares the outage.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use app::dto::{Operation, RunState, StepState};
use common::cluster::{component, test_cluster, FakeKubelet, PodFate};
use common::{tenant_on, wait_run, TestDb};
use server::manifests::RenderSettings;
use server::provisioning::{steps_for, Runner, RunnerOptions, Step};

/// The control plane's state directory: where the test kubeconfig lives.
fn state_dir() -> PathBuf {
    let kubeconfig = PathBuf::from(std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap());
    kubeconfig.parent().unwrap().to_path_buf()
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/cluster")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_waits_out_an_api_server_outage_and_completes() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let db = TestDb::sqlite();
    let (store, id) = tenant_on(&db, "demo", "outage").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(cluster.client.clone(), &ns, |p| {
        if component(p) == "migration" {
            PodFate::Succeeded
        } else {
            PodFate::Ready
        }
    });
    let opts = RunnerOptions {
        base_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(8),
        max_attempts: 12,
        poll_every: Duration::from_millis(300),
        wait_database: Duration::from_secs(90),
        wait_application: Duration::from_secs(90),
        ..RunnerOptions::default()
    };
    let runner = Runner::new(
        store.clone(),
        cluster.clone(),
        server::monitoring::watched_index(&cluster.client),
        RenderSettings::default(),
        opts,
    );
    let task = runner.spawn();
    let tenant = store.get_tenant(&id).await.unwrap();
    let (_, steps) = steps_for(&store, &tenant, Operation::Provision, &Default::default())
        .await
        .unwrap();
    let steps: Vec<String> = steps.iter().map(Step::stored).collect();
    let names: Vec<&str> = steps.iter().map(String::as_str).collect();
    let run_id = store
        .create_run(&id, Operation::Provision, &names, "test")
        .await
        .unwrap();
    runner.wake();

    // Stop the API server once the database objects are applied.
    let start = Instant::now();
    loop {
        let run = store.get_run(run_id).await.unwrap();
        if run
            .steps
            .iter()
            .any(|s| s.name == "database" && s.state == StepState::Completed)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{:#?}",
            run.steps
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state = state_dir();
    let pid = std::fs::read_to_string(state.join("kube-apiserver.pid")).unwrap();
    let killed = std::process::Command::new("kill")
        .arg(pid.trim())
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_secs(20)).await;
    let during = store.get_run(run_id).await.unwrap();
    assert!(
        !during.state.is_finished(),
        "the run must wait, not fail: {:#?}",
        during.steps
    );
    let restarted = std::process::Command::new("bash")
        .arg(script("start.sh"))
        .arg(&state)
        .status()
        .unwrap();
    assert!(restarted.success(), "the control plane restarts");
    let restarted_at = server::store::now_ms();

    let run = wait_run(&store, run_id, Duration::from_secs(240)).await;
    assert_eq!(run.state, RunState::Completed, "{:#?}", run.steps);
    let retried = run
        .steps
        .iter()
        .any(|s| s.attempts > 1 && s.log.contains("retrying in"));
    // A step in flight while the API server was down (started before the
    // restart; it may have started during the outage, after a step the
    // index could still judge) finished after the restart.
    let waited_through = run.steps.iter().any(|s| {
        s.started_at.is_some_and(|t| t <= restarted_at)
            && s.finished_at.is_some_and(|t| t >= restarted_at)
    });
    assert!(
        retried || waited_through,
        "a step waited through the outage or was retried: {:#?}",
        run.steps
    );
    task.abort();
    common::cluster::remove_namespace(&cluster.client, &id, &ns).await;
}
