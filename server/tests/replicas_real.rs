//! Several real `tenantry serve` processes on one real PostgreSQL and the
//! real local control plane: 30 tenants provisioned through the API, spread
//! over three consoles; one console SIGKILLed while it holds runs; the
//! others take its runs over once their leases expire and finish every run.
//! Every attempt is recorded with the process that ran it, no two attempts
//! of a run overlap, and a browser-like stream on one console sees the runs
//! another console executes. And a second console on one SQLite file is
//! refused while `tenantry staff` still works beside it. And a rollout
//! across twelve tenants on two replicas survives its leader SIGKILLed
//! mid-wave and every replica restarted, with no tenant or wave started
//! twice.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::dto::{AttemptOutcome, LiveEvent, RunDto, RunState, TenantDto};
use common::cluster::{component, test_cluster, unique_id, FakeKubelet, PodFate};
use common::process::{Console, ADMIN_PASSWORD};
use common::sse::SseReader;
use common::TestDb;
use server::store::Store;

const LEASE_SECS: u64 = 5;
const TENANTS: usize = 30;

/// A console with the replicas' settings.
fn replica(db_url: &str, kubeconfig: Option<&str>) -> Console {
    let lease = LEASE_SECS.to_string();
    let mut env = vec![
        ("TENANTRY_LEASE_SECS", lease.as_str()),
        ("TENANTRY_SECRET_KEY", "replica test secret key"),
        // The test's receivers listen on loopback.
        ("TENANTRY_OUTBOUND_ALLOW", "127.0.0.1/32"),
        ("TENANTRY_CONCURRENCY", "4"),
        ("TENANTRY_WAIT_DATABASE_SECS", "180"),
        ("TENANTRY_WAIT_APPLICATION_SECS", "120"),
    ];
    if let Some(k) = kubeconfig {
        env.push(("TENANTRY_KUBECONFIG", k));
    }
    Console::start(db_url, &env)
}

async fn all_runs(store: &Store, ids: &[i64]) -> Vec<RunDto> {
    let mut out = vec![];
    for id in ids {
        out.push(store.get_run(*id).await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_the_runs_and_survive_one_being_killed() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    // Database pods stay pending until the gate opens, so runs are in
    // flight (waiting for their database) when a console is killed.
    let gate = Arc::new(AtomicBool::new(false));
    let open = Arc::clone(&gate);
    let prefix = unique_id("rep");
    let own = prefix.clone();
    let _kubelet = FakeKubelet::start_logged(
        cluster.client.clone(),
        None,
        Arc::new(move |p: &k8s_openapi::api::core::v1::Pod| {
            if !p.metadata.namespace.as_deref().unwrap_or("").contains(&own) {
                return PodFate::LeavePending;
            }
            match component(p) {
                "database" if !open.load(Ordering::SeqCst) => PodFate::LeavePending,
                "migration" => PodFate::Succeeded,
                _ => PodFate::Ready,
            }
        }),
        None,
    );
    let consoles = [
        replica(&db.url, Some(&kubeconfig)),
        replica(&db.url, Some(&kubeconfig)),
        replica(&db.url, Some(&kubeconfig)),
    ];
    let clients = [
        consoles[0].admin().await,
        consoles[1].admin().await,
        consoles[2].admin().await,
    ];
    let store = Store::connect(&db.url).await.unwrap();
    let template = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "demo")
        .unwrap()
        .id
        .to_string();
    let mut watcher = SseReader::open_at(&consoles[0].base, &clients[0], "runs", None).await;

    let mut runs = vec![];
    for i in 0..TENANTS {
        let (c, client) = (&consoles[i % 3], &clients[i % 3]);
        let id = format!("{prefix}-{i}");
        let _: TenantDto = c
            .call(
                client,
                "create_tenant",
                &[
                    ("form[company_name]", "Replica test"),
                    ("form[owner_email]", "owner@example.com"),
                    ("form[owner_name]", "Owner"),
                    ("form[template_id]", &template),
                    ("form[tenant_id]", &id),
                ],
            )
            .await;
        if i > 0 {
            let run: RunDto = c.call(client, "provision_tenant", &[("id", &id)]).await;
            runs.push(run.id);
            continue;
        }
        // Six concurrent requests for one tenant, over the three consoles:
        // one run.
        let racers = (0..6).map(|k| {
            let (c, client, id) = (&consoles[k % 3], &clients[k % 3], id.clone());
            async move {
                let res = client
                    .post(format!("{}/api/provision_tenant", c.base))
                    .form(&[("id", id.as_str())])
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (status, res.text().await.unwrap())
            }
        });
        let answers = futures::future::join_all(racers).await;
        let won: Vec<&String> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(won.len(), 1, "one run for one tenant: {answers:?}");
        assert!(
            answers.iter().all(|(s, _)| *s == 200 || *s == 409),
            "{answers:?}"
        );
        let run: RunDto = serde_json::from_str(won[0]).unwrap();
        runs.push(run.id);
    }

    // Wait until the third console holds runs, then kill it mid-run.
    let victim = &consoles[2];
    let start = Instant::now();
    let held_by_victim = loop {
        let now = all_runs(&store, &runs).await;
        let held: Vec<i64> = now
            .iter()
            .filter(|r| r.state == RunState::Running && victim.owns(&r.owner))
            .filter(|r| {
                r.steps
                    .iter()
                    .any(|s| s.name == "wait-database" && s.state == app::dto::StepState::Running)
            })
            .map(|r| r.id)
            .collect();
        if !held.is_empty() {
            break held;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the third console never held a run"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let mut victim = consoles;
    victim[2].kill();
    let killed_at = store.database_now().await.unwrap();
    gate.store(true, Ordering::SeqCst);

    // Every run completes; the victim's runs within 30 s of lease expiry.
    let start = Instant::now();
    let done = loop {
        let now = all_runs(&store, &runs).await;
        if now.iter().all(|r| r.state.is_finished()) {
            break now;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "unfinished: {:?}",
            now.iter()
                .filter(|r| !r.state.is_finished())
                .map(|r| (r.id, r.state, r.owner.clone()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for r in &done {
        assert_eq!(r.state, RunState::Completed, "run {}: {:#?}", r.id, r.steps);
    }
    for id in &held_by_victim {
        let r = done.iter().find(|r| r.id == *id).unwrap();
        assert!(!victim[2].owns(&r.owner), "run {id} was taken over");
        let finished = r.finished_at.unwrap();
        let bound = killed_at + (LEASE_SECS as i64 + 30) * 1000;
        assert!(
            finished <= bound,
            "run {id} finished {} ms after the kill (lease {LEASE_SECS} s + 30 s allowed)",
            finished - killed_at
        );
        let interrupted = r
            .steps
            .iter()
            .flat_map(|s| &s.history)
            .filter(|a| a.outcome == AttemptOutcome::Interrupted)
            .count();
        assert!(
            interrupted >= 1,
            "the killed attempt reads interrupted: {:#?}",
            r.steps
        );
    }

    // Every attempt recorded with its process; none of a run overlap.
    let pids: Vec<String> = victim.iter().map(|c| c.pid().to_string()).collect();
    for r in &done {
        let mut attempts: Vec<_> = r.steps.iter().flat_map(|s| s.history.clone()).collect();
        assert!(!attempts.is_empty());
        for a in &attempts {
            let pid = a.process.split('/').nth(1).unwrap_or_default().to_string();
            assert!(
                pids.contains(&pid),
                "run {}: attempt by {}",
                r.id,
                a.process
            );
            assert!(
                a.finished_at.is_some(),
                "run {}: an attempt never ended",
                r.id
            );
        }
        attempts.sort_by_key(|a| a.started_at);
        for pair in attempts.windows(2) {
            assert!(
                pair[1].started_at >= pair[0].finished_at.unwrap_or(i64::MAX),
                "run {}: attempts overlap: {:?}",
                r.id,
                pair
            );
        }
    }
    let by_b: Vec<i64> = done
        .iter()
        .filter(|r| victim[1].owns(&r.owner))
        .map(|r| r.id)
        .collect();
    let by_a = done.iter().filter(|r| victim[0].owns(&r.owner)).count();
    let latest = held_by_victim
        .iter()
        .filter_map(|id| done.iter().find(|r| r.id == *id)?.finished_at)
        .max()
        .unwrap_or(killed_at);
    println!(
        "replicas: {TENANTS} runs completed, finished by A {by_a}, by B {}; {} taken over from the killed C, the last {} ms after the kill (lease {LEASE_SECS} s)",
        by_b.len(),
        held_by_victim.len(),
        latest - killed_at
    );
    assert!(!by_b.is_empty(), "the second console ran some runs");

    // The stream on the first console saw the second console's runs end.
    let seen = watcher
        .until(|got| {
            let finished: Vec<i64> = got
                .iter()
                .filter_map(|e| serde_json::from_str::<LiveEvent>(&e.data).ok())
                .filter(|m| m.data.get("state").and_then(|s| s.as_str()) == Some("completed"))
                .filter_map(|m| m.data.get("id").and_then(|v| v.as_i64()))
                .collect();
            by_b.iter().all(|id| finished.contains(id))
        })
        .await;
    let completed: Vec<i64> = seen
        .iter()
        .filter_map(|e| serde_json::from_str::<LiveEvent>(&e.data).ok())
        .filter(|m| m.data.get("state").and_then(|s| s.as_str()) == Some("completed"))
        .filter_map(|m| m.data.get("id").and_then(|v| v.as_i64()))
        .collect();
    for id in &by_b {
        assert!(
            completed.contains(id),
            "console A heard run {id} of console B end"
        );
    }

    for c in victim.iter_mut().take(2) {
        // SIGTERM: a rolling update's stop, which lets runs and the lead go.
        let _ = Command::new("kill").arg(c.pid().to_string()).status();
        c.child.wait().unwrap();
    }
    let ids: Vec<String> = (0..TENANTS).map(|i| format!("{prefix}-{i}")).collect();
    futures::future::join_all(ids.iter().map(|id| {
        let client = cluster.client.clone();
        async move {
            common::cluster::remove_namespace(&client, id, &format!("tenant-{id}")).await;
        }
    }))
    .await;
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_second_console_on_one_sqlite_file_is_refused() {
    let db = TestDb::sqlite();
    let mut first = replica(&db.url, None);
    let second = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TENANTRY_DATABASE_URL", &db.url)
        .env("TENANTRY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(
        err.contains("another `tenantry serve` is already using"),
        "{err}"
    );
    let staff = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(["admin", "staff", "list"])
        .env("TENANTRY_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        staff.status.success(),
        "{}",
        String::from_utf8_lossy(&staff.stderr)
    );
    assert!(String::from_utf8_lossy(&staff.stdout).contains("admin"));
    first.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_queued_when_the_console_is_killed_goes_out_after_restart() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    let hook = common::receivers::WebhookReceiver::start().await;
    let db = TestDb::sqlite();
    let mut console = replica(&db.url, Some(&kubeconfig));
    let admin = console.admin().await;
    let _: app::dto::SavedChannel = console
        .call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "hook"),
                ("form[kind]", "webhook"),
                ("form[url]", &hook.url),
                ("form[group_window_secs]", "4"),
                ("form[repeat_secs]", "0"),
                ("form[enabled]", "true"),
            ],
        )
        .await;
    // A run that fails at once (another team owns the namespace): its
    // alert fires and its notification waits out the 4-second window.
    let id = unique_id("kill-alert");
    let template = {
        let store = Store::connect(&db.url).await.unwrap();
        let t = store.list_templates().await.unwrap()[0].id.to_string();
        store.close().await;
        t
    };
    let _: TenantDto = console
        .call(
            &admin,
            "create_tenant",
            &[
                ("form[company_name]", "Kill test"),
                ("form[owner_email]", "o@example.com"),
                ("form[owner_name]", "O"),
                ("form[template_id]", &template),
                ("form[tenant_id]", &id),
            ],
        )
        .await;
    let ns: k8s_openapi::api::core::v1::Namespace = serde_json::from_value(serde_json::json!({
        "metadata": { "name": format!("tenant-{id}"), "labels": { "app.kubernetes.io/managed-by": "someone-else" } }
    }))
    .unwrap();
    let namespaces =
        kube::api::Api::<k8s_openapi::api::core::v1::Namespace>::all(cluster.client.clone());
    namespaces.create(&Default::default(), &ns).await.unwrap();
    let _: RunDto = console
        .call(&admin, "provision_tenant", &[("id", &id)])
        .await;
    let store = Store::connect(&db.url).await.unwrap();
    let start = Instant::now();
    let alert = loop {
        let open = store.open_alerts().await.unwrap();
        if let Some(a) = open.into_iter().find(|a| {
            a.rule == app::dto::RuleId::RunFailed && a.state == app::dto::AlertState::Firing
        }) {
            break a;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the run_failed alert never fired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(hook.deliveries().is_empty(), "still in its group window");
    console.kill();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        hook.deliveries().is_empty(),
        "nobody sends while the console is down"
    );

    let mut again = replica(&db.url, Some(&kubeconfig));
    let d = hook
        .wait_for("after the restart", |d| {
            d.json["alerts"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["id"] == alert.id))
        })
        .await;
    assert_eq!(d.json["type"], "alert.firing");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(hook.deliveries().len(), 1, "delivered once");
    again.kill();
    store.close().await;
    namespaces
        .delete(&format!("tenant-{id}"), &Default::default())
        .await
        .unwrap();
}

/// What a Helm install with `replicaCount: 3` does: three consoles started
/// at the same moment on an empty PostgreSQL database. Every one migrates,
/// seeds and makes the first admin only if no other did (one at a time),
/// so all three come up, the templates are seeded once and the admin signs
/// in on each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_started_at_once_on_an_empty_database_all_come_up() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let barrier = Arc::new(std::sync::Barrier::new(3));
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let (url, barrier) = (db.url.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                replica(&url, None)
            })
        })
        .collect();
    let mut consoles: Vec<Console> = starts
        .into_iter()
        .map(|s| s.join().expect("every replica comes up"))
        .collect();
    for c in &consoles {
        let admin = c.admin().await;
        let res = admin
            .get(format!("{}/templates", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let store = Store::connect(&db.url).await.unwrap();
    let keys: Vec<String> = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(
        keys.len(),
        server::store::seed_templates().len(),
        "{keys:?}"
    );
    assert_eq!(store.count_staff().await.unwrap(), 1, "one first admin");
    for c in &mut consoles {
        assert!(
            !c.log().iter().any(|l| l.contains("already used")),
            "{:?}",
            c.log()
        );
        c.kill();
    }
    store.close().await;
    db.cleanup().await;
}

const FLEET_1: &str = "components:\n  - name: api\n    image: fleet:1.0\n    ports: [{ name: http, container_port: 8080 }]\n";
const FLEET_2: &str = "components:\n  - name: api\n    image: fleet:2.0\n    ports: [{ name: http, container_port: 8080 }]\n";

/// The rollout once `done` says so (within three minutes).
async fn rollout_until(
    store: &Store,
    id: i64,
    done: impl Fn(&app::dto::RolloutDto) -> bool,
) -> app::dto::RolloutDto {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let r = store.get_rollout(id).await.unwrap();
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "rollout {id} stands at {r:#?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_survives_its_leader_killed_mid_wave_and_every_replica_restarted() {
    use app::dto::{RolloutState, RolloutTenantState};
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    let prefix = unique_id("roll");
    let (own, broken, victim) = (
        prefix.clone(),
        Arc::new(AtomicBool::new(false)),
        Arc::new(std::sync::Mutex::new(String::new())),
    );
    let (breaks, whom) = (Arc::clone(&broken), Arc::clone(&victim));
    let _kubelet = FakeKubelet::start_logged(
        cluster.client.clone(),
        None,
        Arc::new(move |p: &k8s_openapi::api::core::v1::Pod| {
            let ns = p.metadata.namespace.as_deref().unwrap_or("");
            if !ns.contains(&own) {
                return PodFate::LeavePending;
            }
            let image = p
                .spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .and_then(|c| c.image.clone());
            let new = image.is_some_and(|i| i.ends_with("fleet:2.0"));
            let mine = *whom.lock().unwrap() == ns.trim_start_matches("tenant-");
            match component(p) {
                "migration" | "job" => PodFate::Succeeded,
                "api" if new && mine && breaks.load(Ordering::SeqCst) => PodFate::CrashLoop,
                _ => PodFate::Ready,
            }
        }),
        None,
    );
    let rollout_env = [("TENANTRY_WAIT_APPLICATION_SECS", "5")];
    let start = |db: &str| {
        let mut env: Vec<(&str, &str)> = vec![
            ("TENANTRY_LEASE_SECS", "5"),
            ("TENANTRY_SECRET_KEY", "replica test secret key"),
            ("TENANTRY_CONCURRENCY", "4"),
            ("TENANTRY_KUBECONFIG", kubeconfig.as_str()),
        ];
        env.extend_from_slice(&rollout_env);
        Console::start(db, &env)
    };
    // The first console up leads (it takes the lock first).
    let mut a = start(&db.url);
    let client_a = a.admin().await;
    let mut b = start(&db.url);
    let client_b = b.admin().await;
    let store = Store::connect(&db.url).await.unwrap();
    let app = store
        .create_application(("fleet", "Fleet", "A test's application"), "test")
        .await
        .unwrap();
    let spec = server::applications::parse_release(FLEET_1).unwrap();
    store
        .create_release(app.id, (&spec, FLEET_1, ""), Some(0), "test")
        .await
        .unwrap();
    let demo = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "demo")
        .unwrap();
    let mut form = app::dto::TemplateForm::from_template(&demo);
    (form.key, form.name, form.application) = ("fleet-plan".into(), "Fleet".into(), "fleet".into());
    let plan = store
        .create_template(&form.validate().unwrap(), "test")
        .await
        .unwrap()
        .id
        .to_string();
    let mut ids = vec![];
    for n in 0..12 {
        let id = format!("{prefix}-{n}");
        let (c, client) = if n % 2 == 0 {
            (&a, &client_a)
        } else {
            (&b, &client_b)
        };
        let _: TenantDto = c
            .call(
                client,
                "create_tenant",
                &[
                    ("form[company_name]", "Rollout test"),
                    ("form[owner_email]", "owner@example.com"),
                    ("form[owner_name]", "Owner"),
                    ("form[template_id]", &plan),
                    ("form[tenant_id]", &id),
                    ("form[provision]", "true"),
                ],
            )
            .await;
        ids.push(id);
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    for id in &ids {
        while store.get_tenant(id).await.unwrap().state != app::dto::TenantState::Active {
            assert!(Instant::now() < deadline, "{id} never became active");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let spec = server::applications::parse_release(FLEET_2).unwrap();
    store
        .create_release(app.id, (&spec, FLEET_2, ""), Some(1), "test")
        .await
        .unwrap();

    // Waves of 1, 3 and 8; the second tenant of wave 2 breaks.
    let args = [
        ("form[application]", "fleet"),
        ("form[release]", "2"),
        ("form[waves]", "1, 3, 8"),
        ("form[parallelism]", "1"),
        ("form[soak_secs]", "1"),
    ];
    let planned: app::dto::RolloutPlan = a.call(&client_a, "plan_rollout", &args).await;
    let wave2: Vec<String> = planned.waves[1]
        .iter()
        .map(|t| t.tenant_id.clone())
        .collect();
    let wave3: Vec<String> = planned.waves[2]
        .iter()
        .map(|t| t.tenant_id.clone())
        .collect();
    *victim.lock().unwrap() = wave2[1].clone();
    broken.store(true, Ordering::SeqCst);
    let started: app::dto::RolloutDto = a.call(&client_a, "start_rollout", &args).await;
    let id = started.id;

    // Mid-wave 2 the leader is SIGKILLed; the other replica leads on.
    rollout_until(&store, id, |r| r.wave == 2).await;
    a.kill();
    let paused = rollout_until(&store, id, |r| r.state != RolloutState::Running).await;
    assert_eq!(paused.state, RolloutState::Paused, "{paused:#?}");
    let reason = paused.reason.clone().unwrap_or_default();
    assert!(
        reason.contains(&wave2[1]) && reason.contains("wait-api"),
        "{reason}"
    );
    for t in paused
        .tenants
        .iter()
        .filter(|t| wave3.contains(&t.tenant_id))
    {
        assert_eq!(t.state, RolloutTenantState::Pending, "{}", t.tenant_id);
    }

    // Every replica restarted; fixed and resumed, it completes.
    b.kill();
    let c = start(&db.url);
    let client_c = c.admin().await;
    let _d = start(&db.url);
    broken.store(false, Ordering::SeqCst);
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(cluster.client.clone(), &format!("tenant-{}", wave2[1]));
    pods.delete_collection(&Default::default(), &Default::default())
        .await
        .unwrap();
    let _: app::dto::RolloutDto = c
        .call(&client_c, "resume_rollout", &[("id", &id.to_string())])
        .await;
    let done = rollout_until(&store, id, |r| r.state != RolloutState::Running).await;
    assert_eq!(done.state, RolloutState::Completed, "{done:#?}");

    // Each tenant moved once (the broken one twice: its retry), and each
    // wave started once.
    for t in &ids {
        assert_eq!(store.get_tenant(t).await.unwrap().release, 2, "{t}");
        let runs = store
            .list_runs(&app::dto::RunQuery {
                tenant: t.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .items;
        let of_rollout = runs
            .iter()
            .filter(|r| r.options.rollout == Some(id))
            .count();
        assert_eq!(
            of_rollout,
            if *t == wave2[1] { 2 } else { 1 },
            "{t}: {runs:#?}"
        );
    }
    let filter = server::store::AuditFilter {
        action: "rollout.".into(),
        ..Default::default()
    };
    let events = store.search_audit(&filter, 1, 100).await.unwrap().items;
    let count = |a: &str| events.iter().filter(|e| e.action == a).count();
    assert_eq!(
        (count("rollout.wave"), count("rollout.completed")),
        (2, 1),
        "{events:#?}"
    );
}
