//! The console process killed with SIGKILL in the middle of a run, at three
//! different steps, and started again: each run completes, and the objects
//! are exactly those of a clean run (nothing duplicated, nothing orphaned,
//! one migration Job). The real `tenantry` binary, started as staff would.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::dto::{RunDto, RunState, StepState, TenantDto};
use common::cluster::{component, test_cluster, unique_id, FakeKubelet, PodFate};
use common::process::Console;
use common::{wait_run, TestDb};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Secret, Service};
use kube::api::{Api, ListParams};

use server::store::Store;

fn start_console(db_url: &str) -> Console {
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    Console::start(
        db_url,
        &[
            ("TENANTRY_KUBECONFIG", &kubeconfig),
            ("TENANTRY_WAIT_DATABASE_SECS", "90"),
            ("TENANTRY_WAIT_APPLICATION_SECS", "90"),
        ],
    )
}

async fn named<K>(client: &kube::Client, ns: &str, out: &mut BTreeSet<(String, String)>)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let lp = ListParams::default().labels("app.kubernetes.io/managed-by=tenantry");
    for obj in Api::<K>::namespaced(client.clone(), ns)
        .list(&lp)
        .await
        .unwrap()
    {
        let name = obj.meta().name.clone().unwrap();
        // Job names carry a hash of their spec, which names the tenant.
        let name = match ["db-migrate-", "db-roles-"]
            .into_iter()
            .find(|p| name.starts_with(p))
        {
            Some(prefix) => prefix.to_string(),
            None => name,
        };
        out.insert((K::kind(&()).to_string(), name));
    }
}

/// (kind, name) of what Tenantry made; migration Jobs by prefix (their
/// names carry a hash of the tenant's spec).
async fn objects(client: &kube::Client, ns: &str) -> (BTreeSet<(String, String)>, usize) {
    let mut out = BTreeSet::new();
    named::<Deployment>(client, ns, &mut out).await;
    named::<StatefulSet>(client, ns, &mut out).await;
    named::<Service>(client, ns, &mut out).await;
    named::<Secret>(client, ns, &mut out).await;
    named::<Job>(client, ns, &mut out).await;
    let jobs = Api::<Job>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|j| {
            j.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("db-migrate-"))
        })
        .count();
    (out, jobs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_killed_at_three_steps_resumes_every_run_and_converges() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let mut reference = None;
    for kill_at in ["secrets", "migrate", "wait-web"] {
        let db = TestDb::sqlite();
        let mut console = start_console(&db.url);
        let client = console.admin().await;
        let store = Store::connect(&db.url).await.unwrap();
        let template = store.list_templates().await.unwrap()[0].id.to_string();
        let id = unique_id("kill");
        let ns = format!("tenant-{id}");
        // Pods of the step we kill at stay pending until the gate opens,
        // so the process dies while that step is waiting.
        let gate = Arc::new(AtomicBool::new(false));
        let open = Arc::clone(&gate);
        let held = match kill_at {
            "migrate" => "migration",
            "wait-web" => "web",
            _ => "",
        };
        let _kubelet = FakeKubelet::start(kube.clone(), &ns, move |p| {
            let c = component(p);
            if c == held && !open.load(Ordering::SeqCst) {
                PodFate::LeavePending
            } else if c == "migration" {
                PodFate::Succeeded
            } else {
                PodFate::Ready
            }
        });
        let _: TenantDto = console
            .call(
                &client,
                "create_tenant",
                &[
                    ("form[company_name]", "Kill test"),
                    ("form[owner_email]", "owner@example.com"),
                    ("form[owner_name]", "Owner"),
                    ("form[template_id]", &template),
                    ("form[tenant_id]", &id),
                ],
            )
            .await;
        let run: RunDto = console
            .call(&client, "provision_tenant", &[("id", &id)])
            .await;

        let start = Instant::now();
        loop {
            let r = store.get_run(run.id).await.unwrap();
            if r.steps
                .iter()
                .any(|s| s.name == kill_at && s.state != StepState::Pending)
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "never reached {kill_at}: {:#?}",
                r.steps
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if !held.is_empty() {
            // Still waiting there when it dies.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let r = store.get_run(run.id).await.unwrap();
            let step = r.steps.iter().find(|s| s.name == kill_at).unwrap();
            assert_eq!(step.state, StepState::Running, "{kill_at}");
        }
        console.kill(); // SIGKILL
        gate.store(true, Ordering::SeqCst);

        let mut again = start_console(&db.url);
        let done = wait_run(&store, run.id, Duration::from_secs(180)).await;
        assert_eq!(
            done.state,
            RunState::Completed,
            "killed at {kill_at}: {:#?}",
            done.steps
        );
        let killed_step = done.steps.iter().find(|s| s.name == kill_at).unwrap();
        assert!(killed_step.attempts >= 1);
        let (shape, jobs) = objects(&kube, &ns).await;
        assert_eq!(jobs, 1, "exactly one migration Job (killed at {kill_at})");
        match &reference {
            None => reference = Some(shape),
            Some(r) => assert_eq!(&shape, r, "killed at {kill_at}"),
        }
        again.kill();
        store.close().await;
        common::cluster::remove_namespace(&kube, &id, &ns).await;
    }
}
