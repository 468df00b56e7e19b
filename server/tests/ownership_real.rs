//! Tenantry touches only what it made, proved on the real local control
//! plane through the console's API: a namespace another team made is
//! refused at the ID check, at creation and at provisioning, and survives
//! clean-up, deprovisioning and an admin's force untouched; a foreign
//! finalizer inside a Tenantry namespace is named, never stripped; a pod
//! elsewhere wearing a tenant's label changes nothing; and a non-default
//! namespace prefix works end to end (credentials, events, pods).
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::time::Duration;

use app::dto::{
    Credential, Health, IdCheck, RunDto, RunState, StepState, TenantDto, TenantLiveDto,
};
use common::cluster::{component, test_cluster, unique_id, FakeKubelet, PodFate};
use common::{json, wait_run, TestDb, TestOptions, TestServer};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Service};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;
use server::manifests::RenderSettings;
use server::provisioning::RunnerOptions;

fn fast() -> RunnerOptions {
    RunnerOptions {
        base_backoff: Duration::from_millis(200),
        poll_every: Duration::from_millis(300),
        max_attempts: 2,
        wait_database: Duration::from_secs(60),
        wait_application: Duration::from_secs(60),
        wait_teardown: Duration::from_secs(6),
        ..RunnerOptions::default()
    }
}

fn tenant_form<'a>(id: &'a str, template_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[company_name]", "Ownership test"),
        ("form[owner_email]", "owner@example.com"),
        ("form[owner_name]", "Owner"),
        ("form[template_id]", template_id),
        ("form[tenant_id]", id),
    ]
}

async fn template_id(srv: &TestServer, key: &str) -> String {
    srv.store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == key)
        .unwrap()
        .id
        .to_string()
}

/// Starts an operation and waits for its run to end.
async fn finish(
    srv: &TestServer,
    client: &reqwest::Client,
    call: &str,
    args: &[(&str, &str)],
) -> RunDto {
    let run: RunDto = json(srv.call(client, call, args).await, call).await;
    wait_run(&srv.store, run.id, Duration::from_secs(180)).await
}

/// The failed step's error of a run that must have failed.
fn failure(run: &RunDto) -> (String, String) {
    assert_eq!(run.state, RunState::Failed, "{:#?}", run.steps);
    let s = run
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap();
    (s.name.clone(), s.last_error.clone().unwrap_or_default())
}

/// Another team's namespace with a ConfigMap in it.
async fn foreign_namespace(kube: &kube::Client, name: &str) -> String {
    let ns: Namespace = serde_json::from_value(json!({
        "metadata": { "name": name, "labels": { "app.kubernetes.io/managed-by": "billing-team" } }
    }))
    .unwrap();
    let made = Api::<Namespace>::all(kube.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": { "name": "ledger" }, "data": { "balance": "42" }
    }))
    .unwrap();
    Api::<ConfigMap>::namespaced(kube.clone(), name)
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    made.metadata.uid.unwrap()
}

async fn assert_untouched(kube: &kube::Client, name: &str, uid: &str) {
    let n = Api::<Namespace>::all(kube.clone())
        .get_opt(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("namespace {name} was deleted"));
    assert_eq!(n.metadata.uid.as_deref(), Some(uid), "{name} was replaced");
    assert!(
        n.metadata.deletion_timestamp.is_none(),
        "{name} is being deleted"
    );
    let labels = n.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("billing-team"),
        "{name} was relabelled: {labels:?}"
    );
    assert!(!labels.contains_key("tenantry.io/tenant"), "{labels:?}");
    let cm = Api::<ConfigMap>::namespaced(kube.clone(), name)
        .get("ledger")
        .await
        .unwrap();
    assert_eq!(cm.data.unwrap()["balance"], "42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_namespace_is_never_adopted_changed_or_deleted() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestOptions::default()
        .engine(cluster, fast())
        .start(&db.url)
        .await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let template = template_id(&srv, "demo").await;

    // `tenant-billing…` exists already: the ID check and creation say so.
    let taken = unique_id("billing");
    let taken_ns = format!("tenant-{taken}");
    let taken_uid = foreign_namespace(&kube, &taken_ns).await;
    let check: IdCheck = json(
        srv.call(&op, "check_tenant_id", &[("id", &taken)]).await,
        "check_tenant_id",
    )
    .await;
    assert!(!check.ok, "{check:?}");
    assert!(
        check
            .message
            .contains(&format!("\"{taken_ns}\" already exists on the cluster"))
            && check.message.contains("billing-team"),
        "{check:?}"
    );
    let res = srv
        .call(&op, "create_tenant", &tenant_form(&taken, &template))
        .await;
    assert_eq!(res.status(), 422);
    let err: app::error::AppError = res.json().await.unwrap();
    let msg = err.field_message("tenant_id").unwrap_or_default();
    assert!(
        msg.contains(&taken_ns) && msg.contains("billing-team"),
        "{err}"
    );
    assert!(
        srv.store.get_tenant(&taken).await.is_err(),
        "nothing stored"
    );

    // A tenant made while the name was free; then the other team takes it.
    let late = unique_id("billing");
    let late_ns = format!("tenant-{late}");
    let made: TenantDto = json(
        srv.call(&op, "create_tenant", &tenant_form(&late, &template))
            .await,
        "create_tenant",
    )
    .await;
    assert_eq!(made.namespace, late_ns, "stored on the row at creation");
    let late_uid = foreign_namespace(&kube, &late_ns).await;

    let run = finish(&srv, &op, "provision_tenant", &[("id", &late)]).await;
    let (step, cause) = failure(&run);
    assert_eq!(step, "namespace");
    assert!(
        cause.contains(&format!(
            "Namespace {late_ns} exists and is managed by \"billing-team\""
        )) && cause.contains("will not adopt"),
        "{cause}"
    );
    let attempts = run.steps.iter().find(|s| s.name == "namespace").unwrap();
    assert_eq!(attempts.attempts, 1, "a refusal is permanent, not retried");
    assert_untouched(&kube, &late_ns, &late_uid).await;

    let run = finish(&srv, &op, "cleanup_tenant", &[("id", &late)]).await;
    let (step, cause) = failure(&run);
    assert_eq!(step, "delete-namespace");
    assert!(cause.contains("billing-team"), "{cause}");
    assert_untouched(&kube, &late_ns, &late_uid).await;

    let confirm = [("id", late.as_str()), ("form[confirm]", late.as_str())];
    let run = finish(&srv, &op, "deprovision_tenant", &confirm).await;
    let (_, cause) = failure(&run);
    assert!(
        cause.contains(&late_ns) && cause.contains("billing-team"),
        "{cause}"
    );
    assert_untouched(&kube, &late_ns, &late_uid).await;

    let forced = [
        ("id", late.as_str()),
        ("form[confirm]", late.as_str()),
        ("form[force]", "true"),
    ];
    let run = finish(&srv, &admin, "deprovision_tenant", &forced).await;
    let (_, cause) = failure(&run);
    assert!(cause.contains("billing-team"), "{cause}");
    assert_untouched(&kube, &late_ns, &late_uid).await;
    assert_untouched(&kube, &taken_ns, &taken_uid).await;

    let audit = srv
        .store
        .list_audit("tenant.deprovision.forced", 1, 10)
        .await
        .unwrap();
    assert_eq!(audit.total, 1, "a forced operation is audited as such");

    for ns in [&taken_ns, &late_ns] {
        Api::<Namespace>::all(kube.clone())
            .delete(ns, &DeleteParams::default())
            .await
            .unwrap();
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_provision_requests_for_one_tenant_make_one_run() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let db = TestDb::sqlite();
    // No runner: the run stays pending, so every request races the first.
    let srv = TestOptions {
        run_runner: false,
        ..TestOptions::default()
    }
    .engine(cluster, fast())
    .start(&db.url)
    .await;
    let op = srv.signed_in("operator").await;
    let id = unique_id("race");
    let template = template_id(&srv, "demo").await;
    let _: TenantDto = json(
        srv.call(&op, "create_tenant", &tenant_form(&id, &template))
            .await,
        "create_tenant",
    )
    .await;
    let args = [("id", id.as_str())];
    let racers = (0..8).map(|_| srv.call(&op, "provision_tenant", &args));
    let answers: Vec<u16> = futures::future::join_all(racers)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        answers.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|s| *s == 200 || *s == 409),
        "{answers:?}"
    );
    assert_eq!(srv.store.runs_for_tenant(&id).await.unwrap().len(), 1);
    srv.stop().await;
}

fn happy(p: &Pod) -> PodFate {
    match component(p) {
        "migration" | "backup" => PodFate::Succeeded,
        _ => PodFate::Ready,
    }
}

/// A Service with a finalizer; `labels` makes it Tenantry's or not.
async fn held_service(kube: &kube::Client, ns: &str, name: &str, labels: serde_json::Value) {
    let svc: Service = serde_json::from_value(json!({
        "metadata": { "name": name, "labels": labels, "finalizers": ["example.com/hold"] },
        "spec": { "ports": [{ "port": 80, "protocol": "TCP" }] }
    }))
    .unwrap();
    Api::<Service>::namespaced(kube.clone(), ns)
        .create(&PostParams::default(), &svc)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_prefix_works_end_to_end_and_force_strips_only_tenantrys_finalizers() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestOptions {
        settings: RenderSettings {
            namespace_prefix: "tt-".into(),
            ..RenderSettings::default()
        },
        ..TestOptions::default()
    }
    .engine(cluster, fast())
    .start(&db.url)
    .await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let id = unique_id("prefix");
    let ns = format!("tt-{id}");
    let template = template_id(&srv, "demo").await;
    let made: TenantDto = json(
        srv.call(&op, "create_tenant", &tenant_form(&id, &template))
            .await,
        "create_tenant",
    )
    .await;
    assert_eq!(made.namespace, ns);
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    let run = finish(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert_eq!(run.state, RunState::Completed, "{:#?}", run.steps);
    let uid = Api::<Namespace>::all(kube.clone())
        .get(&ns)
        .await
        .unwrap()
        .metadata
        .uid;
    assert_eq!(srv.store.get_tenant(&id).await.unwrap().namespace_uid, uid);

    // Credentials, events and pods come from the tenant's own namespace.
    let creds: Vec<Credential> = json(
        srv.call(&op, "reveal_credentials", &[("id", &id)]).await,
        "reveal_credentials",
    )
    .await;
    assert!(
        creds
            .iter()
            .any(|c| c.name.contains("password") && c.value.len() == 32),
        "{}",
        creds.len()
    );

    // A pod in another namespace wearing this tenant's label, crash-looping.
    let elsewhere = format!("elsewhere-{}", unique_id("x"));
    let other: Namespace =
        serde_json::from_value(json!({ "metadata": { "name": elsewhere } })).unwrap();
    Api::<Namespace>::all(kube.clone())
        .create(&PostParams::default(), &other)
        .await
        .unwrap();
    let intruder: Pod = serde_json::from_value(json!({
        "metadata": { "name": "intruder", "labels": {
            "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id,
            "app.kubernetes.io/component": "api" } },
        "spec": { "automountServiceAccountToken": false, "containers": [{ "name": "c", "image": "x" }] }
    }))
    .unwrap();
    // Pods are refused until the new namespace's default service account
    // exists.
    common::cluster::default_service_account(&kube, &elsewhere, false).await;
    let pods = Api::<Pod>::namespaced(kube.clone(), &elsewhere);
    pods.create(&PostParams::default(), &intruder)
        .await
        .unwrap();
    pods.patch_status(
        "intruder",
        &PatchParams::default(),
        &Patch::Merge(
            json!({ "status": { "phase": "Running", "containerStatuses": [{
            "name": "c", "image": "x", "imageID": "", "ready": false, "restartCount": 9,
            "state": { "waiting": { "reason": "CrashLoopBackOff" } } }] } }),
        ),
    )
    .await
    .unwrap();

    let mut live: Option<TenantLiveDto> = None;
    for _ in 0..100 {
        let l: TenantLiveDto = json(
            srv.call(&op, "tenant_live", &[("id", &id)]).await,
            "tenant_live",
        )
        .await;
        let healthy = l
            .health
            .as_ref()
            .is_some_and(|h| h.health == Health::Healthy);
        if healthy && !l.events.is_empty() && l.pods.len() >= 3 {
            live = Some(l);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let live = live.expect("healthy, with pods and events from its namespace");
    assert!(
        live.pods.iter().all(|p| p.name != "intruder"),
        "a pod in another namespace is not the tenant's: {:?}",
        live.pods
    );
    // Give the watch time to see the intruder, then look again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again: TenantLiveDto = json(
        srv.call(&op, "tenant_live", &[("id", &id)]).await,
        "tenant_live",
    )
    .await;
    assert_eq!(again.health.map(|h| h.health), Some(Health::Healthy));
    assert!(again.pods.iter().all(|p| p.name != "intruder"));

    // Two finalizers hold the namespace: one on Tenantry's object, one not.
    let ours = json!({ "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id });
    held_service(&kube, &ns, "ours", ours).await;
    held_service(&kube, &ns, "theirs", json!({})).await;
    let forced = [
        ("id", id.as_str()),
        ("form[confirm]", id.as_str()),
        ("form[force]", "true"),
    ];
    let run = finish(&srv, &admin, "deprovision_tenant", &forced).await;
    let (step, cause) = failure(&run);
    assert_eq!(step, "delete-namespace");
    assert!(
        cause.contains(&format!(
            "forced: removed finalizer(s) example.com/hold from Service {ns}/ours"
        )) && cause.contains(&format!(
            "Service {ns}/theirs is held by finalizer(s) example.com/hold and is not Tenantry's"
        )) && cause.contains("left as it is"),
        "{cause}"
    );
    let maps = Api::<Service>::namespaced(kube.clone(), &ns);
    let theirs = maps.get("theirs").await.unwrap();
    assert_eq!(
        theirs.metadata.finalizers,
        Some(vec!["example.com/hold".to_string()]),
        "a foreign finalizer is never stripped"
    );

    // Their owner lets go; a retry of the step finishes the deprovisioning.
    maps.patch(
        "theirs",
        &PatchParams::default(),
        &Patch::Merge(json!({ "metadata": { "finalizers": null } })),
    )
    .await
    .unwrap();
    let failed_at = run
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap()
        .position
        .to_string();
    let retried = finish(
        &srv,
        &admin,
        "retry_step",
        &[("id", &run.id.to_string()), ("position", &failed_at)],
    )
    .await;
    assert_eq!(retried.state, RunState::Completed, "{:#?}", retried.steps);
    assert!(Api::<Namespace>::all(kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none());
    assert_eq!(srv.store.get_tenant(&id).await.unwrap().namespace_uid, None);
    Api::<Namespace>::all(kube.clone())
        .delete(&elsewhere, &DeleteParams::default())
        .await
        .unwrap();
    srv.stop().await;
}

/// A namespace as the test finds it: its UID, whether it is being deleted,
/// and whether the marker ConfigMap is still in it.
async fn standing(kube: &kube::Client, ns: &str) -> (String, bool, bool) {
    let n = Api::<Namespace>::all(kube.clone())
        .get_opt(ns)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("namespace {ns} was deleted"));
    let marker = Api::<ConfigMap>::namespaced(kube.clone(), ns)
        .get_opt("marker")
        .await
        .unwrap()
        .is_some();
    (
        n.metadata.uid.unwrap_or_default(),
        n.metadata.deletion_timestamp.is_some(),
        marker,
    )
}

async fn marker(kube: &kube::Client, ns: &str) {
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": { "name": "marker" }, "data": { "rows": "1000" }
    }))
    .unwrap();
    Api::<ConfigMap>::namespaced(kube.clone(), ns)
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_was_live_keeps_its_namespace_whatever_fails() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestOptions::default()
        .engine(
            cluster,
            RunnerOptions {
                wait_database: Duration::from_secs(12),
                ..fast()
            },
        )
        .start(&db.url)
        .await;
    let op = srv.signed_in("operator").await;
    let id = common::ops::new_tenant(&srv, &op, "demo", "live").await;
    let ns = format!("tenant-{id}");
    let broken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let db_broken = std::sync::Arc::clone(&broken);
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, move |p| {
        if component(p) == "database" && db_broken.load(std::sync::atomic::Ordering::SeqCst) {
            PodFate::CrashLoop
        } else {
            happy(p)
        }
    });
    let run = finish(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert_eq!(run.state, RunState::Completed, "{:#?}", run.steps);
    let t = srv.store.get_tenant(&id).await.unwrap();
    assert!(t.ever_live(), "first live recorded: {t:?}");
    marker(&kube, &ns).await;
    let (uid, _, _) = standing(&kube, &ns).await;

    // The database then crash-loops: its pod is made again and never Ready.
    broken.store(true, std::sync::atomic::Ordering::SeqCst);
    Api::<Pod>::namespaced(kube.clone(), &ns)
        .delete_collection(
            &DeleteParams::default(),
            &kube::api::ListParams::default().labels("app.kubernetes.io/component=database"),
        )
        .await
        .unwrap();
    let update = finish(
        &srv,
        &op,
        "change_tenant",
        &[("id", &id), ("form[api_replicas]", "2")],
    )
    .await;
    let (step, cause) = failure(&update);
    assert_eq!(step, "wait-database", "{cause}");
    assert_eq!(
        srv.store.get_tenant(&id).await.unwrap().state,
        app::dto::TenantState::Failed
    );

    // Provision and Cleanup are refused, saying why; nothing was started.
    for call in ["provision_tenant", "cleanup_tenant"] {
        let res = srv.call(&op, call, &[("id", &id)]).await;
        assert_eq!(res.status(), 409, "{call}");
        let text = res.text().await.unwrap();
        assert!(text.contains("has been live"), "{call}: {text}");
    }
    assert_eq!(srv.store.runs_for_tenant(&id).await.unwrap().len(), 2);

    // Recovering the update fails again, and keeps everything.
    let again: RunDto = json(
        srv.call(&op, "recover_run", &[("id", &update.id.to_string())])
            .await,
        "recover_run",
    )
    .await;
    let again = wait_run(&srv.store, again.id, Duration::from_secs(180)).await;
    assert_eq!(failure(&again).0, "wait-database");
    assert_eq!(standing(&kube, &ns).await, (uid.clone(), false, true));

    // A provisioning run queued before this release (as the old console
    // accepted one for a failed tenant) fails at wait-database too: it is
    // not rolled back, the namespace and the marker stay.
    let tenant = srv.store.get_tenant(&id).await.unwrap();
    let (_, steps) = server::provisioning::steps_for(
        &srv.store,
        &tenant,
        app::dto::Operation::Provision,
        &Default::default(),
    )
    .await
    .unwrap();
    let steps: Vec<String> = steps
        .iter()
        .map(server::provisioning::Step::stored)
        .collect();
    let names: Vec<&str> = steps.iter().map(String::as_str).collect();
    let legacy = srv
        .store
        .create_run(&id, app::dto::Operation::Provision, &names, "operator")
        .await
        .unwrap();
    let legacy = wait_run(&srv.store, legacy, Duration::from_secs(180)).await;
    let failed = legacy
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap();
    assert_eq!(failed.name, "wait-database");
    assert!(
        failed.log.contains("not rolled back") && failed.log.contains("has been live"),
        "{}",
        failed.log
    );
    assert!(
        legacy
            .steps
            .iter()
            .all(|s| s.state != StepState::RolledBack),
        "{:#?}",
        legacy.steps
    );
    assert_eq!(standing(&kube, &ns).await, (uid, false, true));
    // Retrying and recovering are security events.
    let events = srv.store.list_audit("run.recover", 1, 10).await.unwrap();
    assert!(events.total >= 1);

    broken.store(false, std::sync::atomic::Ordering::SeqCst);
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_with_copied_labels_is_refused_and_survives_a_forced_deprovision() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestOptions::default()
        .engine(cluster, fast())
        .start(&db.url)
        .await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let id = common::ops::new_tenant(&srv, &op, "demo", "copied").await;
    let ns = format!("tenant-{id}");
    // After the record exists, someone makes the namespace with Tenantry's
    // labels copied onto it.
    let copied: Namespace = serde_json::from_value(json!({
        "metadata": { "name": ns, "labels": {
            "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id } }
    }))
    .unwrap();
    let made = Api::<Namespace>::all(kube.clone())
        .create(&PostParams::default(), &copied)
        .await
        .unwrap();
    let uid = made.metadata.uid.unwrap();
    marker(&kube, &ns).await;

    let run = finish(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    let (step, cause) = failure(&run);
    assert_eq!(step, "namespace");
    assert!(
        cause.contains(&format!("Namespace {ns}")) && cause.contains("did not create it"),
        "{cause}"
    );
    assert_eq!(
        srv.store.namespace_record(&id).await.unwrap().uid,
        None,
        "its UID was not recorded"
    );
    assert_eq!(standing(&kube, &ns).await, (uid.clone(), false, true));

    let forced = [
        ("id", id.as_str()),
        ("form[confirm]", id.as_str()),
        ("form[force]", "true"),
    ];
    let run = finish(&srv, &admin, "deprovision_tenant", &forced).await;
    let (_, cause) = failure(&run);
    assert!(cause.contains("did not create it"), "{cause}");
    assert_eq!(standing(&kube, &ns).await, (uid, false, true));

    Api::<Namespace>::all(kube.clone())
        .delete(&ns, &DeleteParams::default())
        .await
        .unwrap();
    srv.stop().await;
}
