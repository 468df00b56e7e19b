//! The cluster half of the fleet benchmark: a fleet's pods watched by the
//! console in its own process, its RSS, the delay from a pod's condition
//! to the webhook that tells of it, and the alert evaluator's time per
//! pass from the console's own log.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use app::dto::{SavedChannel, TenantLiveDto};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::common::cluster::{create_pod, unique_id};
use crate::common::process::Console;
use crate::common::receivers::WebhookReceiver;
use crate::common::stats::{env_num, percentile};
use crate::common::TestDb;
use crate::seed;

const COMPONENTS: [&str; 5] = ["database", "api", "api", "web", "web"];
const AT_ONCE: usize = 32;

fn labels(tenant: &str) -> serde_json::Value {
    json!({ "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": tenant })
}

/// A tenant's namespace, as Tenantry labels it, and its pods, ready.
async fn tenant_objects(client: kube::Client, tenant: String) {
    let ns = format!("tenant-{tenant}");
    let namespace: Namespace = serde_json::from_value(json!({
        "metadata": { "name": ns, "labels": labels(&tenant) }
    }))
    .unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();
    // The pods mount no token, so the service account need only exist;
    // make it rather than wait for the controller-manager, which makes
    // one a second or so at this rate.
    let sa: ServiceAccount =
        serde_json::from_value(json!({ "metadata": { "name": "default" } })).unwrap();
    match Api::<ServiceAccount>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &sa)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => panic!("service account in {ns}: {e}"),
    }
    let pods: Api<Pod> = Api::namespaced(client, &ns);
    for (k, component) in COMPONENTS.iter().enumerate() {
        let mut l = labels(&tenant);
        l["app.kubernetes.io/component"] = json!(component);
        let name = format!("{component}-{k}");
        let pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": name, "labels": l },
            "spec": { "automountServiceAccountToken": false,
                "containers": [{ "name": "c", "image": "bench:1" }] }
        }))
        .unwrap();
        create_pod(&pods, &pod).await;
        pods.patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(&status(0, None)),
        )
        .await
        .unwrap();
    }
}

/// A pod status as a kubelet writes it: ready, or waiting on `waiting`.
fn status(restarts: i32, waiting: Option<&str>) -> serde_json::Value {
    let ready = waiting.is_none();
    let state = match waiting {
        Some(reason) => json!({ "waiting": { "reason": reason } }),
        None => json!({ "running": { "startedAt": "2026-12-01T00:00:00Z" } }),
    };
    json!({ "status": {
        "phase": "Running",
        "conditions": [{ "type": "Ready", "status": if ready { "True" } else { "False" } }],
        "containerStatuses": [{ "name": "c", "image": "bench:1", "imageID": "",
            "ready": ready, "restartCount": restarts, "state": state }]
    } })
}

fn mib(console: &Console) -> f64 {
    console.kib("VmRSS") as f64 / 1024.0
}

/// Waits until the console's live view of `tenant` holds its five pods.
async fn watched(console: &Console, admin: &reqwest::Client, tenant: &str) {
    let start = Instant::now();
    loop {
        let live: TenantLiveDto = console.call(admin, "tenant_live", &[("id", tenant)]).await;
        if live.pods.len() == COMPONENTS.len() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{tenant}: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn run() {
    let Ok(kubeconfig) = std::env::var("TENANTRY_TEST_KUBECONFIG") else {
        println!("cluster part skipped: set TENANTRY_TEST_KUBECONFIG");
        return;
    };
    let cl = crate::common::cluster::test_cluster().await.unwrap();
    let client = cl.client.clone();
    let count = env_num("BENCH_POD_TENANTS", 2_000);
    let alerts = env_num("BENCH_ALERTS", 100);
    let stamp = unique_id("fl");
    let db = TestDb::sqlite();
    let store = server::store::Store::connect(&db.url).await.unwrap();
    store.close().await;
    let ids = seed::tenants(&db.url, count, &stamp).await;

    // ---- the fleet's objects, then the console watching them
    let t0 = Instant::now();
    futures::stream::iter(ids.iter().cloned())
        .map(|id| tenant_objects(client.clone(), id))
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    println!(
        "fleet: {count} namespaces and {} ready pods made in {:.1} s",
        count * COMPONENTS.len(),
        t0.elapsed().as_secs_f64()
    );
    let env = [
        ("TENANTRY_KUBECONFIG", kubeconfig.as_str()),
        ("TENANTRY_SECRET_KEY", "fleet bench secret key"),
        ("RUST_LOG", "warn,server::alerts=debug"),
        // The webhook receiver listens on loopback, which channels may
        // not reach unless allowed.
        ("TENANTRY_OUTBOUND_ALLOW", "127.0.0.1/32"),
    ];
    let console = Console::start_with(&db.url, &env, false);
    let admin = console.admin().await;
    let t0 = Instant::now();
    watched(&console, &admin, &ids[count - 1]).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    println!(
        "memory: console started with {count} tenants, {} pods listed and watched in {:.1} s; RSS {:.1} MiB (peak {:.1} MiB)",
        count * COMPONENTS.len(),
        t0.elapsed().as_secs_f64(),
        mib(&console),
        console.kib("VmHWM") as f64 / 1024.0
    );

    // ---- a pod's condition → the webhook that tells of it
    let hook = WebhookReceiver::start().await;
    let _: SavedChannel = console
        .call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "bench hook"),
                ("form[kind]", "webhook"),
                ("form[url]", &hook.url),
                ("form[group_window_secs]", "0"),
                ("form[repeat_secs]", "0"),
                ("form[send_resolved]", "false"),
                ("form[enabled]", "true"),
            ],
        )
        .await;
    // Live tenants only (the seed suspends or fails some), one pod each.
    let chosen: Vec<(usize, &String)> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 50 >= 2)
        .step_by((count / alerts.max(1)).max(1))
        .take(alerts)
        .collect();
    let mut sent: HashMap<String, Instant> = HashMap::new();
    for (_, id) in &chosen {
        let pods: Api<Pod> = Api::namespaced(client.clone(), &format!("tenant-{id}"));
        sent.insert(id.to_string(), Instant::now());
        pods.patch_status(
            "api-1",
            &PatchParams::default(),
            &Patch::Merge(&status(6, Some("CrashLoopBackOff"))),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut delays: Vec<f64>;
    loop {
        let mut first: HashMap<String, Instant> = HashMap::new();
        for d in hook.deliveries() {
            for a in crate::common::receivers::alerts_in(&d) {
                if a.1 == "crash_loop" {
                    first.entry(a.0).or_insert(d.at);
                }
            }
        }
        delays = sent
            .iter()
            .filter_map(|(t, s)| {
                first
                    .get(t)
                    .map(|at| at.duration_since(*s).as_secs_f64() * 1000.0)
            })
            .collect();
        if delays.len() == sent.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    delays.sort_by(f64::total_cmp);
    println!(
        "alerts: pod status patch → signed webhook received, {} of {} tenants: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        delays.len(),
        sent.len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0.0)
    );
    let mut passes: Vec<(String, f64)> = console
        .log()
        .iter()
        .filter(|l| l.contains("alert rules evaluated"))
        .filter_map(|l| {
            let field = |k: &str| {
                l.split(&format!("{k}="))
                    .nth(1)?
                    .split_whitespace()
                    .next()
                    .map(|v| v.trim_matches('"').to_string())
            };
            Some((
                field("tenants")?,
                field("micros")?.parse::<f64>().ok()? / 1000.0,
            ))
        })
        .collect();
    passes.sort_by(|a, b| a.1.total_cmp(&b.1));
    let of = |all: bool| -> Vec<f64> {
        passes
            .iter()
            .filter(|p| (p.0 == "all") == all)
            .map(|p| p.1)
            .collect()
    };
    for (label, times) in [
        ("changed tenants only", of(false)),
        ("every tenant", of(true)),
    ] {
        println!(
            "evaluation: {label}: {} passes, p50 {:.1} ms, p99 {:.1} ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    println!("memory: after the alerts, RSS {:.1} MiB", mib(&console));
    drop(console);

    // ---- a restart with everything present: the initial list at once
    let console = Console::start_with(&db.url, &env, false);
    let admin = console.admin().await;
    let t0 = Instant::now();
    watched(&console, &admin, &ids[count - 1]).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    println!(
        "memory: restarted console listed the fleet in {:.1} s; RSS {:.1} MiB (peak {:.1} MiB)",
        t0.elapsed().as_secs_f64(),
        mib(&console),
        console.kib("VmHWM") as f64 / 1024.0
    );
    drop(console);

    futures::stream::iter(ids)
        .map(|id| {
            let api: Api<Namespace> = Api::all(client.clone());
            async move {
                let _ = api
                    .delete(&format!("tenant-{id}"), &DeleteParams::default())
                    .await;
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>()
        .await;
}
