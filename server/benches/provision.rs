//! Provisioning benchmark against the local control plane (run by hand):
//!
//!   TENANTRY_TEST_KUBECONFIG=… cargo bench -p server --profile dev --bench provision
//!
//! Provisions N tenants (BENCH_TENANTS, default 50) at once with the runner
//! (BENCH_CONCURRENCY, default 16), the fake kubelet making pods Ready; then
//! applies the same rendered objects for N more tenants with Tenantry's
//! server-side apply alone and with `kubectl apply --server-side`, at the
//! same concurrency. Prints the three times, their ratios, and the p50/p99
//! delay between the kubelet marking a Deployment's last pod Ready (or the
//! wait step starting, if later) and the wait step recording it, beside the
//! controller-manager's own delay in saying so in the Deployment's status.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary reports by printing

#[path = "../tests/common/cluster.rs"]
#[allow(dead_code)]
mod cluster;
#[path = "../tests/common/stats.rs"]
mod stats;

use stats::{env_num, percentile};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::tenant_rules::ValidTenantFields;
use app::dto::{Operation, RunState};
use cluster::{component, FakeKubelet, PodFate, ReadyLog};
use futures::future::join_all;
use server::manifests::{namespace_of, render, to_yaml, RenderSettings, TenantInput};
use server::provisioning::{steps_for, Runner, RunnerOptions, Step};
use server::store::{NewTenantRecord, Store};
use tokio::sync::Semaphore;

fn kubectl() -> String {
    std::env::var("KUBECTL").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenantry/k8s/bin/kubectl")
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env_num("BENCH_TENANTS", 50);
    let concurrency = env_num("BENCH_CONCURRENCY", 16);
    let Some(cl) = cluster::test_cluster().await else {
        println!("set TENANTRY_TEST_KUBECONFIG (end2end/cluster/start.sh prints it)");
        return;
    };
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    let template = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "demo")
        .unwrap();
    let settings = RenderSettings::default();
    let stamp = cluster::unique_id("b");
    let ids =
        |kind: &str| -> Vec<String> { (0..n).map(|i| format!("{kind}{i}-{stamp}")).collect() };

    let log: ReadyLog = Arc::new(Mutex::new(vec![]));
    let _kubelet = FakeKubelet::start_logged(
        cl.client.clone(),
        None,
        Arc::new(|p| {
            if component(p) == "migration" {
                PodFate::Succeeded
            } else {
                PodFate::Ready
            }
        }),
        Some(Arc::clone(&log)),
    );

    // When each Deployment's status first showed every replica ready, as an
    // independent watch saw it: splits the delay into the control plane's
    // part (pod Ready -> Deployment status) and Tenantry's.
    let seen: Arc<Mutex<HashMap<(String, String), i64>>> = Arc::default();
    let watch = {
        use futures::StreamExt;
        use kube::runtime::{watcher, WatchStreamExt};
        let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
            kube::Api::all(cl.client.clone());
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            let cfg = watcher::Config::default().labels("app.kubernetes.io/managed-by=tenantry");
            let mut s = watcher(api, cfg)
                .default_backoff()
                .applied_objects()
                .boxed();
            while let Some(Ok(d)) = s.next().await {
                let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                let ready = d
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0);
                if want > 0 && ready >= want {
                    let key = (
                        d.metadata.namespace.clone().unwrap_or_default(),
                        d.metadata.name.clone().unwrap_or_default(),
                    );
                    seen.lock()
                        .unwrap()
                        .entry(key)
                        .or_insert_with(server::store::now_ms);
                }
            }
        })
    };

    // 1. Tenantry: full provisioning runs.
    let runner_ids = ids("r");
    let fields = ValidTenantFields {
        company_name: "Bench".into(),
        owner_email: "owner@example.com".into(),
        owner_name: "Owner".into(),
        custom_domain: None,
    };
    for id in &runner_ids {
        store
            .insert_tenant(
                NewTenantRecord {
                    id,
                    namespace: &namespace_of(&RenderSettings::default(), id),
                    fields: &fields,
                    template_id: template.id,
                    release: None,
                    custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
                },
                "bench",
            )
            .await
            .unwrap();
    }
    let opts = RunnerOptions {
        concurrency,
        poll_every: Duration::from_millis(200),
        ..RunnerOptions::default()
    };
    let runner = Runner::new(
        store.clone(),
        cl.clone(),
        server::monitoring::watched_index(&cl.client),
        settings.clone(),
        opts,
    );
    // Every tenant is on the same plan and release: one set of steps.
    let first = store.get_tenant(&runner_ids[0]).await.unwrap();
    let (_, steps) = steps_for(&store, &first, Operation::Provision, &Default::default())
        .await
        .unwrap();
    let steps: Vec<String> = steps.iter().map(Step::stored).collect();
    let names: Vec<&str> = steps.iter().map(String::as_str).collect();
    let started = Instant::now();
    let mut runs = vec![];
    for id in &runner_ids {
        runs.push(
            store
                .create_run(id, Operation::Provision, &names, "bench")
                .await
                .unwrap(),
        );
    }
    let task = runner.spawn();
    loop {
        let mut done = 0;
        for r in &runs {
            if store.get_run(*r).await.unwrap().state.is_finished() {
                done += 1;
            }
        }
        if done == runs.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runner_time = started.elapsed();
    task.abort();
    watch.abort();
    let seen = seen.lock().unwrap().clone();
    let mut delays = vec![];
    let (mut control_plane, mut tenantry) = (vec![], vec![]);
    let mut failed = 0;
    {
        let log = log.lock().unwrap().clone();
        let mut last_ready: HashMap<(String, String), i64> = HashMap::new();
        for (ns, comp, at) in log {
            let e = last_ready.entry((ns, comp)).or_insert(at);
            *e = (*e).max(at);
        }
        for (r, id) in runs.iter().zip(&runner_ids) {
            let run = store.get_run(*r).await.unwrap();
            if run.state != RunState::Completed {
                failed += 1;
            }
            let ns = namespace_of(&settings, id);
            for (step, comp) in [("wait-api", "api"), ("wait-web", "web")] {
                let step = run.steps.iter().find(|s| s.name == step);
                let (started, finished) = (
                    step.and_then(|s| s.started_at),
                    step.and_then(|s| s.finished_at),
                );
                let key = (ns.clone(), comp.to_string());
                if let (Some(s), Some(f), Some(ready)) = (started, finished, last_ready.get(&key)) {
                    // Noticed: from when the pods were ready and the step
                    // was waiting, whichever came last.
                    delays.push((f - ready.max(&s)).max(0));
                    if let Some(status) = seen.get(&key) {
                        control_plane.push((status - ready).max(0));
                        tenantry.push(f - status);
                    }
                }
            }
        }
    }
    delays.sort_unstable();
    control_plane.sort_unstable();
    tenantry.sort_unstable();

    // 2. The same objects, applied only: Tenantry's apply, then kubectl's.
    let caps = cl.caps.clone();
    let render_for = |id: &str| {
        let namespace = namespace_of(&settings, id);
        let input = TenantInput {
            id,
            namespace: &namespace,
            custom_domain: None,
            owner_email: "owner@example.com",
            template_key: &template.key,
            template_version: template.version,
            tier: &template.spec,
            release: server::applications::workshop(),
            custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            secrets_rotated: None,
        };
        render(&input, &settings, &caps)
    };
    let apply_ids = ids("a");
    let slots = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    join_all(apply_ids.iter().map(|id| {
        let (slots, client, manifests) = (Arc::clone(&slots), cl.client.clone(), render_for(id));
        async move {
            let _p = slots.acquire().await.unwrap();
            server::cluster::apply_all(&client, &manifests)
                .await
                .unwrap();
        }
    }))
    .await;
    let apply_time = started.elapsed();

    let kubectl_ids = ids("k");
    let files: Vec<std::path::PathBuf> = kubectl_ids
        .iter()
        .map(|id| {
            let path = dir.path().join(format!("{id}.yaml"));
            std::fs::write(&path, to_yaml(&render_for(id))).unwrap();
            path
        })
        .collect();
    let started = Instant::now();
    let results = join_all(files.iter().map(|f| {
        let slots = Arc::clone(&slots);
        let (kubectl, kubeconfig) = (kubectl(), kubeconfig.clone());
        async move {
            let _p = slots.acquire().await.unwrap();
            tokio::process::Command::new(kubectl)
                .args(["apply", "--server-side", "--field-manager=bench", "-f"])
                .arg(f)
                .env("KUBECONFIG", kubeconfig)
                .output()
                .await
                .map(|o| o.status.success())
                .unwrap_or(false)
        }
    }))
    .await;
    let kubectl_time = started.elapsed();
    let kubectl_failed = results.iter().filter(|ok| !**ok).count();

    println!(
        "tenants: {n}, concurrency: {concurrency}, control plane: Kubernetes 1.20 on 127.0.0.1"
    );
    println!(
        "tenantry provisioning runs (apply + watches for db, migration, api, web): {:.2}s ({failed} not completed)",
        runner_time.as_secs_f64()
    );
    println!(
        "tenantry server-side apply only:   {:.2}s",
        apply_time.as_secs_f64()
    );
    println!(
        "kubectl apply --server-side:       {:.2}s ({kubectl_failed} failed)",
        kubectl_time.as_secs_f64()
    );
    println!(
        "ratio apply-only tenantry/kubectl: {:.2}; full runs/kubectl apply: {:.2}",
        apply_time.as_secs_f64() / kubectl_time.as_secs_f64(),
        runner_time.as_secs_f64() / kubectl_time.as_secs_f64()
    );
    println!(
        "pod Ready (and the step waiting) -> step recorded ({} waits): p50 {} ms, p99 {} ms, max {} ms",
        delays.len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0)
    );
    println!(
        "  for comparison, pod Ready -> the Deployment's own status ready (controller-manager): p50 {} ms, p99 {} ms",
        percentile(&control_plane, 0.5),
        percentile(&control_plane, 0.99)
    );
    println!(
        "  step recorded before the Deployment's status said ready: {} of {} waits",
        tenantry.iter().filter(|t| **t < 0).count(),
        tenantry.len()
    );

    // Clean up every namespace the benchmark made.
    let all: Vec<(String, String)> = runner_ids
        .iter()
        .chain(&apply_ids)
        .chain(&kubectl_ids)
        .map(|id| (id.clone(), namespace_of(&settings, id)))
        .collect();
    join_all(all.iter().map(|(id, ns)| {
        let client = cl.client.clone();
        async move {
            // The bench made these namespaces itself: their live UID is
            // the one it vouches for.
            let uid = kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
                .get_opt(ns)
                .await
                .ok()
                .flatten()
                .and_then(|n| n.metadata.uid)
                .unwrap_or_default();
            let target = server::cluster::TenantNamespace {
                name: ns,
                tenant: id,
                uid: Some(&uid),
                nonce: None,
            };
            let _ =
                server::cluster::delete_namespace(&client, &target, Duration::from_secs(120)).await;
        }
    }))
    .await;
}
