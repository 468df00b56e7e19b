//! Alerts that reach people, proved on the real local control plane with
//! real peers: a crash-looping api pod fires an alert after its rule's
//! `for`; an email arrives at a real SMTP server and a signed webhook at a
//! local receiver; repeats stop when it is acknowledged; the pod recovers
//! and the resolve notice goes out; a silence holds notifications back but
//! the alert is recorded. The real quota controller's counts cross 85 % and
//! 95 % (one message per burst). And with 200 tenants' 1,000 pods watched
//! and nothing changing, nothing is said and nothing written.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

#[path = "alerts_real/channels.rs"]
mod channels;
mod common;

use std::time::{Duration, Instant};

use app::dto::{
    AlertDto, AlertState, Health, RunDto, RunState, SavedChannel, TenantDto, TenantLiveDto,
};
use common::cluster::{default_service_account, test_cluster, unique_id, FakeKubelet};
use common::ops::{fast, happy};
use common::receivers::{alerts_in, signed_by, SmtpServer, WebhookReceiver};
use common::{json, wait_run, TestDb, TestOptions, TestServer};
use k8s_openapi::api::core::v1::{Namespace, Pod, ResourceQuota};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

/// A provisioned, healthy tenant on `template`.
async fn healthy_tenant(
    srv: &TestServer,
    op: &reqwest::Client,
    kube: &kube::Client,
    template: &str,
    stem: &str,
) -> (String, String, FakeKubelet) {
    let id = unique_id(stem);
    let ns = format!("tenant-{id}");
    let template_id = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == template)
        .unwrap()
        .id
        .to_string();
    let _: TenantDto = json(
        srv.call(
            op,
            "create_tenant",
            &[
                ("form[company_name]", "Alerts test"),
                ("form[owner_email]", "owner@acme.example"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", &template_id),
                ("form[tenant_id]", &id),
            ],
        )
        .await,
        "create_tenant",
    )
    .await;
    let kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    let run: RunDto = json(
        srv.call(op, "provision_tenant", &[("id", &id)]).await,
        "provision",
    )
    .await;
    let run = wait_run(&srv.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(run.state, RunState::Completed, "{:#?}", run.steps);
    wait_health(srv, op, &id, Health::Healthy).await;
    (id, ns, kubelet)
}

async fn wait_health(srv: &TestServer, c: &reqwest::Client, id: &str, want: Health) {
    let start = Instant::now();
    loop {
        let l: TenantLiveDto = json(
            srv.call(c, "tenant_live", &[("id", id)]).await,
            "tenant_live",
        )
        .await;
        if l.health.as_ref().map(|h| h.health) == Some(want) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{id} never {want}: {:?}",
            l.health
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sets the status of the tenant's api pod (the fake kubelet leaves a pod
/// alone once it has one).
async fn api_pod(kube: &kube::Client, ns: &str, crashing: bool) {
    let pods: Api<Pod> = Api::namespaced(kube.clone(), ns);
    let list = pods
        .list(&ListParams::default().labels("app.kubernetes.io/component=api"))
        .await
        .unwrap();
    for p in list.items {
        let name = p.metadata.name.clone().unwrap();
        let container = p.spec.as_ref().unwrap().containers[0].name.clone();
        let t = jiff::Timestamp::now().to_string();
        let state = if crashing {
            json!({ "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container" } })
        } else {
            json!({ "running": { "startedAt": t } })
        };
        let status = json!({ "status": {
            "phase": "Running",
            "conditions": [{ "type": "Ready", "status": if crashing { "False" } else { "True" }, "lastTransitionTime": t }],
            "containerStatuses": [{ "name": container, "image": "x", "imageID": "", "ready": !crashing,
                "restartCount": 3, "state": state }],
        }});
        pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .unwrap();
    }
}

async fn alert_of(srv: &TestServer, tenant: &str, rule: &str, state: AlertState) -> AlertDto {
    let start = Instant::now();
    loop {
        let page = srv
            .store
            .list_alerts(&app::dto::AlertQuery {
                tenant: tenant.into(),
                state: Some(state),
                ..Default::default()
            })
            .await
            .unwrap();
        if let Some(a) = page.items.into_iter().find(|a| a.rule.as_str() == rule) {
            return a;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no {state} {rule} alert for {tenant}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_fires_mails_and_signs_a_webhook_repeats_until_acked_and_resolves() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let smtp = SmtpServer::start();
    let hook = WebhookReceiver::start().await;
    let db = TestDb::sqlite();
    let srv = TestOptions::default()
        .engine(cluster, fast())
        .start(&db.url)
        .await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let (id, ns, _kubelet) = healthy_tenant(&srv, &op, &kube, "demo", "alert").await;

    // Channels and a short `for`, as an admin sets them in the console.
    let only_here = id.clone();
    let saved: SavedChannel = json(
        srv.call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "on-call hook"),
                ("form[kind]", "webhook"),
                ("form[url]", &hook.url),
                ("form[tenant_ids]", &only_here),
                ("form[group_window_secs]", "1"),
                ("form[repeat_secs]", "3"),
                ("form[send_resolved]", "true"),
                ("form[enabled]", "true"),
            ],
        )
        .await,
        "webhook channel",
    )
    .await;
    let secret = saved
        .signing_secret
        .expect("the signing secret, shown once");
    let port = smtp.port.to_string();
    let _: SavedChannel = json(
        srv.call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "ops mail"),
                ("form[kind]", "email"),
                ("form[email_to]", "ops@example.com"),
                ("form[email_from]", "tenantry@example.com"),
                ("form[smtp_host]", "127.0.0.1"),
                ("form[smtp_port]", &port),
                ("form[smtp_tls]", "none"),
                ("form[owner_rules]", "tenant_critical"),
                ("form[tenant_ids]", &only_here),
                ("form[group_window_secs]", "1"),
                ("form[repeat_secs]", "0"),
                ("form[send_resolved]", "true"),
                ("form[enabled]", "true"),
            ],
        )
        .await,
        "email channel",
    )
    .await;
    let channels: Vec<app::dto::ChannelDto> =
        json(srv.call(&admin, "list_channels", &[]).await, "channels").await;
    assert!(
        channels.iter().all(|c| !format!("{c:?}").contains(&secret)),
        "no secret after saving"
    );
    let res = srv
        .call(
            &op,
            "save_channel",
            &[("form[name]", "x"), ("form[kind]", "slack")],
        )
        .await;
    assert_eq!(res.status(), 403, "operators cannot edit channels");
    // One api replica: a crash-looping pod makes the tenant critical.
    for rule in ["tenant_degraded", "tenant_critical"] {
        let _: Vec<app::dto::RuleDto> = json(
            srv.call(
                &admin,
                "set_alert_rule",
                &[
                    ("scope", "tenant"),
                    ("scope_id", &id),
                    ("form[rule]", rule),
                    ("form[for_secs]", "2"),
                ],
            )
            .await,
            "rule override",
        )
        .await;
    }

    // The api pod crash-loops: after `for`, the alert fires and is told.
    api_pod(&kube, &ns, true).await;
    let pending = alert_of(&srv, &id, "tenant_critical", AlertState::Pending).await;
    let fired = alert_of(&srv, &id, "tenant_critical", AlertState::Firing).await;
    assert_eq!(pending.id, fired.id, "one alert, pending then firing");
    assert!(
        fired.fired_at.unwrap() - fired.started_at >= 2000,
        "not before its `for`: {fired:?}"
    );
    let d = hook
        .wait_for("firing", |d| {
            d.json["type"] == "alert.firing"
                && alerts_in(d).iter().any(|a| a.1 == "tenant_critical")
        })
        .await;
    assert!(
        signed_by(&d, &secret),
        "the webhook signature checks out: {d:?}"
    );
    assert!(
        !signed_by(&d, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        "and only with its secret"
    );
    let mail = smtp
        .wait_for("firing", |m| {
            m.data.contains("FIRING") && m.data.contains("tenant_critical")
        })
        .await;
    assert!(
        mail.data.contains(&id) && mail.data.contains("api: 0/1 ready"),
        "{}",
        mail.data
    );
    assert!(
        mail.to.contains(&"ops@example.com".to_string())
            && mail.to.contains(&"owner@acme.example".to_string()),
        "{:?}",
        mail.to
    );

    // Unacknowledged, it repeats; acknowledged, it stops repeating.
    hook.wait_for("a repeat", |d| {
        d.json["type"] == "alert.repeat" && d.json["alerts"][0]["id"] == fired.id
    })
    .await;
    let acked: AlertDto = json(
        srv.call(
            &op,
            "ack_alert",
            &[("id", &fired.id.to_string()), ("note", "on it")],
        )
        .await,
        "ack",
    )
    .await;
    assert_eq!(
        (acked.state, acked.acknowledged_by.as_deref()),
        (AlertState::Acknowledged, Some("operator"))
    );
    let viewer = srv.signed_in("viewer").await;
    assert_eq!(
        srv.call(&viewer, "ack_alert", &[("id", &fired.id.to_string())])
            .await
            .status(),
        403
    );
    let repeats = |hook: &WebhookReceiver| {
        hook.deliveries()
            .iter()
            .filter(|d| d.json["type"] == "alert.repeat" && d.json["alerts"][0]["id"] == fired.id)
            .count()
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = repeats(&hook);
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        repeats(&hook),
        before,
        "no repeat after the acknowledgement"
    );

    // The pod recovers: resolved by itself, with a resolve notice.
    api_pod(&kube, &ns, false).await;
    let resolved = alert_of(&srv, &id, "tenant_critical", AlertState::Resolved).await;
    assert_eq!(resolved.resolved_by, None, "resolved by itself");
    let r = hook
        .wait_for("resolved", |d| {
            d.json["type"] == "alert.resolved"
                && d.json["alerts"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x["id"] == fired.id))
        })
        .await;
    assert!(signed_by(&r, &secret));
    smtp.wait_for("resolved", |m| {
        m.data.contains("RESOLVED") && m.data.contains("tenant_critical")
    })
    .await;
    let history: Vec<String> = srv
        .store
        .get_alert(fired.id)
        .await
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.kind)
        .collect();
    for kind in [
        "pending",
        "firing",
        "notified",
        "repeat",
        "acknowledged",
        "resolved",
    ] {
        assert!(history.iter().any(|k| k == kind), "{kind} in {history:?}");
    }

    // A silence holds notifications back; the alert is still recorded.
    let _: app::dto::SilenceDto = json(
        srv.call(
            &op,
            "silence_alerts",
            &[
                ("form[tenant_id]", &id),
                ("form[minutes]", "30"),
                ("form[reason]", "maintenance"),
            ],
        )
        .await,
        "silence",
    )
    .await;
    let told = hook.deliveries().len();
    api_pod(&kube, &ns, true).await;
    let silenced = alert_of(&srv, &id, "crash_loop", AlertState::Firing).await;
    assert!(silenced.silenced);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        hook.deliveries().len(),
        told,
        "nothing sent while silenced: {:#?}",
        &hook.deliveries()[told..]
    );
    let history = srv.store.get_alert(silenced.id).await.unwrap().history;
    assert!(history.iter().any(|h| h.kind == "silenced"), "{history:?}");

    let page = srv
        .call(
            &viewer,
            "list_alerts",
            &[("query[tenant]", &id), ("query[state]", "resolved")],
        )
        .await;
    let page: app::dto::Page<AlertDto> = json(page, "list_alerts").await;
    assert!(page.items.iter().any(|a| a.id == fired.id));
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_use_warns_past_85_percent_and_is_critical_past_95_in_one_message_per_burst() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let hook = WebhookReceiver::start().await;
    let db = TestDb::sqlite();
    let srv = TestOptions::default()
        .engine(cluster, fast())
        .start(&db.url)
        .await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let (id, ns, _kubelet) = healthy_tenant(&srv, &op, &kube, "demo", "quota").await;
    let _: SavedChannel = json(
        srv.call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "quota hook"),
                ("form[kind]", "webhook"),
                ("form[url]", &hook.url),
                ("form[tenant_ids]", &id),
                ("form[group_window_secs]", "2"),
                ("form[repeat_secs]", "0"),
                ("form[send_resolved]", "false"),
                ("form[enabled]", "true"),
            ],
        )
        .await,
        "channel",
    )
    .await;

    // Pods that ask for CPU until the quota controller counts 90 %, then 97 %.
    let quota = |kube: kube::Client, ns: String| async move {
        Api::<ResourceQuota>::namespaced(kube, &ns)
            .get("tenant-quota")
            .await
            .unwrap()
            .status
            .unwrap()
    };
    // Base units (cores, bytes) of a quantity.
    let units = |q: &str| server::monitoring::watch::ratio(q, "1").unwrap();
    // One pod whose limits bring limits.cpu and limits.memory to `target`
    // of the quota at once (the binding keys: limits are above requests).
    let fill = |name: &'static str, target: f64| {
        let (kube, ns) = (kube.clone(), ns.clone());
        async move {
            let s = quota(kube.clone(), ns.clone()).await;
            let want = |key: &str| {
                let hard = units(&s.hard.as_ref().unwrap()[key].0);
                let used = units(&s.used.as_ref().unwrap()[key].0);
                (hard * target - used).max(0.001)
            };
            let cpu = format!("{}m", (want("limits.cpu") * 1000.0) as i64);
            let memory = format!("{}", want("limits.memory") as i64);
            let pod: Pod = serde_json::from_value(json!({
                "metadata": { "name": name },
                "spec": { "automountServiceAccountToken": false, "containers": [{ "name": "c", "image": "x",
                    "resources": { "requests": { "cpu": "1m", "memory": "1Mi" },
                                   "limits": { "cpu": cpu, "memory": memory } } }] }
            }))
            .unwrap();
            Api::<Pod>::namespaced(kube, &ns)
                .create(&PostParams::default(), &pod)
                .await
                .unwrap();
        }
    };
    fill("filler-a", 0.90).await;
    let warning = alert_of(&srv, &id, "quota_usage", AlertState::Firing).await;
    assert_eq!(warning.severity, app::dto::Severity::Warning, "{warning:?}");
    let burst = hook
        .wait_for("the burst", |d| d.json["type"] == "alert.firing")
        .await;
    let quota_alerts: Vec<_> = alerts_in(&burst)
        .into_iter()
        .filter(|a| a.1 == "quota_usage")
        .collect();
    assert!(
        quota_alerts.iter().any(|a| a.2 == "limits.cpu")
            && quota_alerts.iter().any(|a| a.2 == "limits.memory"),
        "limits.cpu and limits.memory crossed at once, told in one message: {:?}",
        alerts_in(&burst)
    );
    assert_eq!(
        hook.deliveries()
            .iter()
            .filter(|d| d.json["type"] == "alert.firing")
            .count(),
        1,
        "one message for the burst"
    );
    fill("filler-b", 0.97).await;
    let start = Instant::now();
    loop {
        let a = srv.store.get_alert(warning.id).await.unwrap();
        if a.severity == app::dto::Severity::Critical {
            assert!(a.history.iter().any(|h| h.kind == "escalated"));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never critical: {a:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    hook.wait_for("the escalation", |d| {
        d.json["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["severity"] == "critical"))
    })
    .await;
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_changing_means_nothing_said_and_nothing_written() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestOptions {
        run_runner: false,
        ..TestOptions::default()
    }
    .engine(cluster, fast())
    .start(&db.url)
    .await;
    let stem = unique_id("idle");
    let template = srv.store.list_templates().await.unwrap()[0].id;
    let fields = app::domain::tenant_rules::ValidTenantFields {
        company_name: "Idle".into(),
        owner_email: "o@example.com".into(),
        owner_name: "O".into(),
        custom_domain: None,
    };
    // 200 tenants, five pods each, in their own namespaces, all labelled.
    let tenants: Vec<String> = (0..200).map(|i| format!("{stem}-{i}")).collect();
    for t in &tenants {
        srv.store
            .insert_tenant(
                server::store::NewTenantRecord {
                    id: t,
                    namespace: &format!("tenant-{t}"),
                    fields: &fields,
                    template_id: template,
                    release: None,
                    custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
                },
                "test",
            )
            .await
            .unwrap();
    }
    let make = |t: String| {
        let kube = kube.clone();
        async move {
            let ns = format!("tenant-{t}");
            let n: Namespace =
                serde_json::from_value(json!({ "metadata": { "name": ns, "labels": {
                "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": t } } }))
                .unwrap();
            Api::<Namespace>::all(kube.clone())
                .create(&PostParams::default(), &n)
                .await
                .unwrap();
            // Pods are refused until the namespace's default service
            // account exists (the controller makes it a moment later).
            default_service_account(&kube, &ns, false).await;
            for c in ["database", "api", "api", "web", "web"].iter().enumerate() {
                let pod: Pod = serde_json::from_value(json!({
                    "metadata": { "name": format!("{}-{}", c.1, c.0), "labels": {
                        "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": t, "app.kubernetes.io/component": c.1 } },
                    "spec": { "automountServiceAccountToken": false, "containers": [{ "name": "c", "image": "x" }] }
                })).unwrap();
                Api::<Pod>::namespaced(kube.clone(), &ns)
                    .create(&PostParams::default(), &pod)
                    .await
                    .unwrap();
            }
        }
    };
    for chunk in tenants.chunks(20) {
        futures::future::join_all(chunk.iter().cloned().map(make)).await;
    }
    let index = std::sync::Arc::clone(srv.console.live().monitor().index());
    let start = Instant::now();
    while index.size().0 < 1000 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "watched {} pods",
            index.size().0
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Settle, then listen for a minute.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut said, _) = srv.console.live().hub().subscribe(None);
    let mut written = srv.store.changes();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let mut messages = 0;
    while said.try_recv().is_ok() {
        messages += 1;
    }
    let mut tenant_writes = 0;
    while let Ok(c) = written.try_recv() {
        if matches!(c, server::store::Change::Tenant(_)) {
            tenant_writes += 1;
        }
    }
    println!("idle: 200 tenants, {} pods watched, 60 s: {messages} messages, {tenant_writes} tenant writes", index.size().0);
    assert_eq!((messages, tenant_writes), (0, 0));
    futures::future::join_all(tenants.iter().map(|t| {
        let kube = kube.clone();
        async move {
            let _ = Api::<Namespace>::all(kube)
                .delete(&format!("tenant-{t}"), &DeleteParams::default())
                .await;
        }
    }))
    .await;
    srv.stop().await;
}

/// Installs cert-manager's Certificate CRD (only the CRD: no controller runs
/// here; the test plays cert-manager by writing status). It stays installed:
/// removing it could break a run of another test that discovered it.
async fn certificate_crd(kube: &kube::Client) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": { "name": "certificates.cert-manager.io" },
        "spec": {
            "group": "cert-manager.io",
            "names": { "kind": "Certificate", "listKind": "CertificateList", "plural": "certificates", "singular": "certificate" },
            "scope": "Namespaced",
            "versions": [{ "name": "v1", "served": true, "storage": true, "subresources": { "status": {} },
                "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } } }]
        }
    }))
    .unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(kube.clone());
    match crds.create(&PostParams::default(), &crd).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => panic!("CRD: {e}"),
    }
    let start = Instant::now();
    while !server::cluster::discover(kube).await.unwrap().cert_manager {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the CRD is never served"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_is_not_ready_or_expiring_is_shown_and_alerts() {
    let Some(first) = test_cluster().await else {
        return;
    };
    certificate_crd(&first.client).await;
    // Connected after the CRD: Tenantry renders the tenant's Certificate.
    let cluster = test_cluster().await.unwrap();
    assert!(cluster.caps.cert_manager);
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
    let (id, ns, _kubelet) = healthy_tenant(&srv, &op, &kube, "demo", "cert").await;
    let _: Vec<app::dto::RuleDto> = json(
        srv.call(
            &admin,
            "set_alert_rule",
            &[
                ("scope", "tenant"),
                ("scope_id", &id),
                ("form[rule]", "certificate_not_ready"),
                ("form[for_secs]", "1"),
            ],
        )
        .await,
        "override",
    )
    .await;
    let certs = Api::<kube::api::DynamicObject>::namespaced_with(
        kube.clone(),
        &ns,
        &kube::api::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate"),
            "certificates",
        ),
    );
    let cert = certs
        .get("tenant-tls")
        .await
        .expect("Tenantry made the Certificate");
    assert_eq!(cert.metadata.labels.unwrap()["tenantry.io/tenant"], id);
    // cert-manager would say: the order failed, and the certificate in use expires soon.
    let in_three_days = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72)).to_string();
    let status = json!({ "status": {
        "conditions": [{ "type": "Ready", "status": "False", "reason": "Failed", "message": "rate limited by the ACME server",
            "lastTransitionTime": jiff::Timestamp::now().to_string() }],
        "notAfter": in_three_days,
    }});
    certs
        .patch_status(
            "tenant-tls",
            &PatchParams::default(),
            &Patch::Merge(&status),
        )
        .await
        .unwrap();
    let start = Instant::now();
    let shown = loop {
        let l: TenantLiveDto = json(
            srv.call(&op, "tenant_live", &[("id", &id)]).await,
            "tenant_live",
        )
        .await;
        // Not ready from the start (no status yet): wait for the patched
        // condition, not merely for "not ready".
        let patched = |c: &app::dto::CertificateDto| {
            !c.ready
                && c.reason
                    .as_deref()
                    .is_some_and(|r| r.contains("rate limited"))
        };
        if let Some(c) = l.certificates.into_iter().find(patched) {
            break c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the certificate's state never showed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        shown.reason.as_deref(),
        Some("Failed: rate limited by the ACME server")
    );
    assert!(shown.not_after.is_some());
    assert_eq!(
        app::domain::certificates::certificate_state(&shown),
        app::domain::certificates::CertificateState::Failed
    );
    assert!(shown.hosts.contains(&format!("{id}.tenants.example.com")));
    let not_ready = alert_of(&srv, &id, "certificate_not_ready", AlertState::Firing).await;
    assert!(not_ready.summary.contains("rate limited"), "{not_ready:?}");
    let expiring = alert_of(&srv, &id, "certificate_expiring", AlertState::Firing).await;
    assert!(
        expiring.summary.contains("expires in 2 days")
            || expiring.summary.contains("expires in 3 days"),
        "{expiring:?}"
    );
    common::cluster::remove_namespace(&kube, &id, &ns).await;
    srv.stop().await;
}
