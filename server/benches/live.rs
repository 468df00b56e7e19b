//! Live console benchmark against the local control plane (run by hand):
//!
//!   TENANTRY_TEST_KUBECONFIG=… cargo bench -p server --profile dev --bench live
//!
//! 1. Fan-out: BENCH_CLIENTS (default 200) SSE streams subscribe to one
//!    tenant; a pod of that tenant has its status patched BENCH_ROUNDS
//!    (default 20) times; prints p50/p99 of the delay from sending each patch
//!    to the API server until the event reached each client.
//! 2. Tenants page: BENCH_TENANTS (default 10,000) tenant records; prints the
//!    p50/p99 server time of `GET /tenants` (server-rendered, signed in).
//! 3. Memory: pods for BENCH_POD_TENANTS (default 2,000) tenants, five each,
//!    are created and watched; prints the console's RSS before and after.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary reports by printing

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::tenant_rules::ValidTenantFields;
use common::cluster::{create_pod, default_service_account, legacy_token_secrets};
use common::stats::{env_num, percentile};
use common::{cluster, TestServer};
use futures::future::join_all;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;
use server::provisioning::RunnerOptions;
use server::store::NewTenantRecord;
use tokio::sync::Semaphore;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn pod(ns: &str, name: &str, tenant: &str, component: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": name, "namespace": ns, "labels": {
            "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": tenant,
            "app.kubernetes.io/component": component } },
        "spec": { "containers": [{ "name": "c", "image": "bench:1" }] }
    }))
    .unwrap()
}

async fn namespace(client: &kube::Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({ "metadata": { "name": name } })).unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clients = env_num("BENCH_CLIENTS", 200);
    let rounds = env_num("BENCH_ROUNDS", 20);
    let tenants = env_num("BENCH_TENANTS", 10_000);
    let pod_tenants = env_num("BENCH_POD_TENANTS", 2_000);
    let Some(cl) = cluster::test_cluster().await else {
        println!("set TENANTRY_TEST_KUBECONFIG (end2end/cluster/start.sh prints it)");
        return;
    };
    let client = cl.client.clone();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let srv = TestServer::start_engine(&url, cl, RunnerOptions::default()).await;
    let stamp = cluster::unique_id("bl");

    // ---- 1. fan-out delay
    let ns = format!("bench-{stamp}");
    namespace(&client, &ns).await;
    // As a real client must: pods are refused until the namespace's
    // service account (and, before 1.24, its token) exists.
    default_service_account(&client, &ns, legacy_token_secrets(&client).await).await;
    let tenant = format!("fan-{stamp}");
    // The console follows only its own tenants' objects: the pod's tenant
    // is a record whose namespace is the pod's.
    let fields = ValidTenantFields {
        company_name: "Fan-out".into(),
        owner_email: "fan@example.com".into(),
        owner_name: "Fan".into(),
        custom_domain: None,
    };
    srv.store
        .insert_tenant(
            NewTenantRecord {
                id: &tenant,
                namespace: &ns,
                fields: &fields,
                template_id: 1,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            },
            "bench",
        )
        .await
        .unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    create_pod(&pods, &pod(&ns, "api-0", &tenant, "api")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent: Arc<Vec<std::sync::Mutex<Option<Instant>>>> =
        Arc::new((0..=rounds).map(|_| std::sync::Mutex::new(None)).collect());
    let mut readers = vec![];
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients);
    // A session keeps at most STREAMS_PER_SESSION streams (one more
    // replaces its oldest), as a person's tabs would: the clients sign in
    // as that many to a session.
    let mut viewer = srv.signed_in("viewer").await;
    for i in 0..clients {
        if i > 0 && i % server::live::STREAMS_PER_SESSION == 0 {
            viewer = srv.signed_in("viewer").await;
        }
        let mut res = viewer
            .get(srv.url(&format!("/api/live?topics=tenant:{tenant}")))
            .send()
            .await
            .unwrap();
        let sent = Arc::clone(&sent);
        let ready = ready_tx.clone();
        readers.push(tokio::spawn(async move {
            let _ = ready.send(()).await;
            let mut delays = vec![];
            let mut buf = String::new();
            // Keep-alives reset a per-chunk timeout: a missing delivery is
            // reported in the count, never waited for past a minute.
            let until = Instant::now() + Duration::from_secs(60);
            while delays.len() < rounds && Instant::now() < until {
                let Ok(Ok(Some(chunk))) =
                    tokio::time::timeout(Duration::from_secs(30), res.chunk()).await
                else {
                    break;
                };
                let at = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    let Some(i) = frame.find("\"restarts\":") else {
                        continue;
                    };
                    let n: usize = frame[i + 11..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                        .parse()
                        .unwrap_or(0);
                    if n == 0 || n > rounds {
                        continue;
                    }
                    if let Some(t0) = *sent[n].lock().unwrap() {
                        delays.push(at.duration_since(t0).as_secs_f64() * 1000.0);
                    }
                }
            }
            delays
        }));
    }
    for _ in 0..clients {
        ready_rx.recv().await;
    }
    println!(
        "fan-out: {clients} streams open (hub has {} receivers)",
        srv_streams(&srv)
    );
    for n in 1..=rounds {
        let status = json!({ "status": { "phase": "Running", "containerStatuses": [{
            "name": "c", "image": "bench:1", "imageID": "", "ready": false, "restartCount": n,
            "state": { "waiting": { "reason": "CrashLoopBackOff" } } }] } });
        *sent[n].lock().unwrap() = Some(Instant::now());
        pods.patch_status("api-0", &PatchParams::default(), &Patch::Merge(&status))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut delays: Vec<f64> = join_all(readers)
        .await
        .into_iter()
        .flat_map(|r| r.unwrap_or_default())
        .collect();
    delays.sort_by(f64::total_cmp);
    println!(
        "fan-out: {} deliveries of {} expected; pod status patch → event at client: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        delays.len(),
        clients * rounds,
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0.0)
    );

    // ---- 2. tenants page with many tenants
    let t0 = Instant::now();
    for i in 0..tenants {
        let id = format!("t{i:05}-{stamp}");
        let fields = ValidTenantFields {
            company_name: format!("Company {i}"),
            owner_email: format!("owner{i}@example.com"),
            owner_name: "Owner".into(),
            custom_domain: None,
        };
        srv.store
            .insert_tenant(
                NewTenantRecord {
                    id: &id,
                    namespace: &format!("tenant-{}", id),
                    fields: &fields,
                    template_id: 1,
                    release: None,
                    custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
                },
                "bench",
            )
            .await
            .unwrap();
    }
    println!(
        "tenants page: {tenants} tenants stored in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut times = vec![];
    for i in 0..60 {
        let path = if i % 2 == 0 {
            "/tenants".to_string()
        } else {
            format!("/tenants?q=Company%20{}&sort=company&dir=asc", i * 97)
        };
        let t = Instant::now();
        let res = viewer.get(srv.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(body.contains("tenants"), "a tenants page");
    }
    times.sort_by(f64::total_cmp);
    println!(
        "tenants page: GET /tenants (SSR, 25 per page, health per row) p50 {:.1} ms, p99 {:.1} ms over {} requests",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len()
    );

    // ---- 3. memory with many tenants' pods watched
    let before = rss_mib();
    let (pods_before, _) = srv_view_size(&srv);
    let sem = Arc::new(Semaphore::new(16));
    let names: Vec<(String, String)> = (0..pod_tenants)
        .flat_map(|i| {
            let t = format!("m{i:04}-{stamp}");
            ["database", "api", "api", "web", "web"]
                .iter()
                .enumerate()
                .map(move |(k, c)| (t.clone(), format!("{c}-{k}-{i}")))
                .collect::<Vec<_>>()
        })
        .collect();
    let t0 = Instant::now();
    let creates = names.iter().map(|(t, name)| {
        let pods = pods.clone();
        let sem = Arc::clone(&sem);
        let component = name.split('-').next().unwrap_or("api").to_string();
        let p = pod(&ns, name, t, &component);
        async move {
            let _permit = sem.acquire().await.unwrap();
            create_pod(&pods, &p).await;
        }
    });
    join_all(creates).await;
    let want = pods_before + names.len();
    let deadline = Instant::now() + Duration::from_secs(300);
    while srv_view_size(&srv).0 < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_mib();
    println!(
        "memory: {} pods of {pod_tenants} tenants created in {:.1} s and watched ({} in the view); console RSS {before:.1} MiB before, {after:.1} MiB after (+{:.1} MiB, {:.0} bytes per pod)",
        names.len(),
        t0.elapsed().as_secs_f64(),
        srv_view_size(&srv).0,
        after - before,
        (after - before) * 1024.0 * 1024.0 / names.len() as f64
    );

    let _ = Api::<Namespace>::all(client)
        .delete(&ns, &DeleteParams::default())
        .await;
    srv.stop().await;
}

fn srv_streams(srv: &TestServer) -> usize {
    srv.console.live().hub().streams()
}

fn srv_view_size(srv: &TestServer) -> (usize, usize) {
    srv.console.live().view().size()
}
