//! Against the real local control plane: a tenant's objects applied with
//! server-side apply reach readiness through the fake kubelet, re-applying
//! changes nothing, crash-looping pods are reported by name and reason, and
//! teardown names the finalizer that blocks it.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::time::Duration;

use common::cluster::{component, test_cluster, unique_id, FakeKubelet, PodFate};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota, Secret, Service};
use kube::api::{Api, Patch, PatchParams, PostParams};
use server::cluster::{apply_all, delete_namespace, ensure_tenant_secrets, TenantNamespace};
use server::error::ServerError;
use server::manifests::{
    migration_jobs, namespace_of, render, Manifest, RenderSettings, TenantInput, DB_SECRET,
    MANAGED_BY, TENANT_LABEL,
};
use server::monitoring::{watched_index, ClusterIndex, Target};
use server::store::seed_templates;

const WAIT: Duration = Duration::from_secs(60);

fn tier(key: &str) -> app::dto::TierSpec {
    seed_templates()
        .into_iter()
        .find(|t| t.key == key)
        .unwrap()
        .spec
}

/// A tenant's namespace as teardown takes it: these tests made it
/// themselves, so its live UID is the one "remembered".
fn ours<'a>(id: &'a str, ns: &'a str, uid: &'a str) -> TenantNamespace<'a> {
    TenantNamespace {
        name: ns,
        tenant: id,
        uid: Some(uid),
        nonce: None,
    }
}

/// Waits as a step does: from the cluster index, `component`'s pods
/// explaining a timeout.
async fn ready(
    client: &kube::Client,
    index: &ClusterIndex,
    (id, ns): (&str, &str),
    target: Target<'_>,
    timeout: Duration,
) -> Result<(), ServerError> {
    let component = match target {
        Target::Job(_) => "migration",
        Target::Deployment(name) => name,
        _ => "database",
    };
    server::cluster::wait_ready(client, index, (id, ns), target, component, timeout).await
}

fn manifests(
    id: &str,
    tier: &app::dto::TierSpec,
    caps: &server::manifests::Capabilities,
) -> Vec<Manifest> {
    let namespace = namespace_of(&RenderSettings::default(), id);
    let input = TenantInput {
        id,
        namespace: &namespace,
        custom_domain: Some("shop.example.org"),
        owner_email: "owner@example.com",
        template_key: "professional",
        template_version: 1,
        tier,
        release: server::applications::workshop(),
        custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
    };
    render(&input, &RenderSettings::default(), caps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_objects_converge_and_reapply_changes_nothing() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let client = cluster.client.clone();
    let id = unique_id("prov");
    let ns = namespace_of(&RenderSettings::default(), &id);
    let pro = tier("professional");
    let objects = manifests(&id, &pro, &cluster.caps);
    let _kubelet = FakeKubelet::start(client.clone(), &ns, |p| {
        if component(p) == "migration" {
            PodFate::Succeeded
        } else {
            PodFate::Ready
        }
    });

    let applied = apply_all(&client, &objects).await.unwrap();
    assert_eq!(
        applied,
        objects.iter().filter(|m| m.kind != "Secret").count()
    );
    let made = ensure_tenant_secrets(&client, &objects).await.unwrap();
    assert!(made.iter().all(|(_, created)| *created), "{made:?}");

    let index = watched_index(&client);
    let at = (id.as_str(), ns.as_str());
    let job = migration_jobs(&objects)[0].name.clone();
    ready(&client, &index, at, Target::Job(&job), WAIT)
        .await
        .unwrap();
    ready(&client, &index, at, Target::Deployment("api"), WAIT)
        .await
        .unwrap();
    ready(&client, &index, at, Target::Deployment("web"), WAIT)
        .await
        .unwrap();

    // The tier's values are live.
    let quota: Api<ResourceQuota> = Api::namespaced(client.clone(), &ns);
    let hard = quota
        .get("tenant-quota")
        .await
        .unwrap()
        .spec
        .unwrap()
        .hard
        .unwrap();
    assert_eq!(hard["limits.cpu"].0, "8");
    assert_eq!(hard["pods"].0, "20");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let mut api = deployments.get("api").await.unwrap();
    assert_eq!(api.spec.as_ref().unwrap().replicas, Some(2));
    // The wait judged the pods themselves; the controller-manager writes
    // the Deployment's own status a few seconds later.
    let since = std::time::Instant::now();
    while api.status.as_ref().and_then(|s| s.ready_replicas) != Some(2) {
        assert!(
            since.elapsed() < std::time::Duration::from_secs(60),
            "the Deployment's status never counted 2 ready replicas"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        api = deployments.get("api").await.unwrap();
    }

    // Re-applying the same objects is a no-op; Secrets keep their values.
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let password = secrets.get(DB_SECRET).await.unwrap().data.unwrap()["password"]
        .0
        .clone();
    assert_eq!(password.len(), 32);
    // Generation moves only when a spec changes (status updates do not).
    let before = api.metadata.generation;
    apply_all(&client, &objects).await.unwrap();
    let again = ensure_tenant_secrets(&client, &objects).await.unwrap();
    assert!(
        again.iter().all(|(_, created)| !*created),
        "secrets are never made twice"
    );
    assert_eq!(
        deployments.get("api").await.unwrap().metadata.generation,
        before,
        "apply is idempotent"
    );
    assert_eq!(
        secrets.get(DB_SECRET).await.unwrap().data.unwrap()["password"].0,
        password,
        "never overwritten"
    );

    // An upgrade applies in place: Enterprise has 3 API replicas.
    let ent = tier("enterprise");
    let upgraded = manifests(&id, &ent, &cluster.caps);
    apply_all(&client, &upgraded).await.unwrap();
    let new_job = migration_jobs(&upgraded)[0].name.clone();
    assert_ne!(new_job, job, "a changed tier runs a new migration Job");
    ready(&client, &index, at, Target::Job(&new_job), WAIT)
        .await
        .unwrap();
    ready(&client, &index, at, Target::Deployment("api"), WAIT)
        .await
        .unwrap();
    // Ready means three ready pods of the new template (the Deployment's
    // status may say so a moment later).
    let api = deployments.get("api").await.unwrap();
    assert_eq!(api.spec.unwrap().replicas, Some(3));
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &ns);
    let revision = api.metadata.annotations.unwrap()["deployment.kubernetes.io/revision"].clone();
    let current = Api::<k8s_openapi::api::apps::v1::ReplicaSet>::namespaced(client.clone(), &ns)
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|rs| {
            rs.metadata.annotations.as_ref().unwrap()["deployment.kubernetes.io/revision"]
                == revision
        })
        .unwrap();
    let hash = current.metadata.labels.unwrap()["pod-template-hash"].clone();
    let ready_pods = pods
        .list(&kube::api::ListParams::default().labels(&format!("pod-template-hash={hash}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none()
                && p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count();
    assert_eq!(ready_pods, 3);
    assert_eq!(
        quota
            .get("tenant-quota")
            .await
            .unwrap()
            .spec
            .unwrap()
            .hard
            .unwrap()["limits.cpu"]
            .0,
        "32"
    );

    delete_namespace(
        &client,
        &ours(&id, &ns, &common::cluster::live_uid(&client, &ns).await),
        WAIT,
    )
    .await
    .unwrap();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert!(
        namespaces.get_opt(&ns).await.unwrap().is_none(),
        "the namespace and everything in it is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_looping_pods_are_reported_with_their_reason() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let client = cluster.client.clone();
    let id = unique_id("crash");
    let ns = namespace_of(&RenderSettings::default(), &id);
    let objects = manifests(&id, &tier("free"), &cluster.caps);
    let _kubelet = FakeKubelet::start(client.clone(), &ns, |p| match component(p) {
        "api" => PodFate::CrashLoop,
        // Jobs finish (a running one would hold the quota the web pods need).
        "migration" => PodFate::Succeeded,
        _ => PodFate::Ready,
    });
    apply_all(&client, &objects).await.unwrap();
    ensure_tenant_secrets(&client, &objects).await.unwrap();
    let index = watched_index(&client);
    let at = (id.as_str(), ns.as_str());
    ready(&client, &index, at, Target::Deployment("web"), WAIT)
        .await
        .unwrap();
    let err = ready(
        &client,
        &index,
        at,
        Target::Deployment("api"),
        Duration::from_secs(8),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("Deployment")
            && err.contains("/api")
            && err.contains("CrashLoopBackOff")
            && err.contains("pod api-"),
        "{err}"
    );
    delete_namespace(
        &client,
        &ours(&id, &ns, &common::cluster::live_uid(&client, &ns).await),
        WAIT,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finalizer_that_blocks_teardown_is_named() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let client = cluster.client.clone();
    let id = unique_id("fin");
    let ns = namespace_of(&RenderSettings::default(), &id);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut n = Namespace::default();
    n.metadata.name = Some(ns.clone());
    n.metadata.labels = Some(
        [
            (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
            (TENANT_LABEL.to_string(), id.clone()),
        ]
        .into(),
    );
    namespaces.create(&PostParams::default(), &n).await.unwrap();
    let maps: Api<Service> = Api::namespaced(client.clone(), &ns);
    let held: Service = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "held", "finalizers": ["example.com/keep-me"] },
        "spec": { "ports": [{ "port": 80, "protocol": "TCP" }] }
    }))
    .unwrap();
    maps.create(&PostParams::default(), &held).await.unwrap();

    let err = delete_namespace(
        &client,
        &ours(&id, &ns, &common::cluster::live_uid(&client, &ns).await),
        Duration::from_secs(10),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ServerError::Blocked { .. }), "{text}");
    assert!(
        text.contains(&format!("Service {ns}/held")) && text.contains("example.com/keep-me"),
        "{text}"
    );

    // Once the finalizer is released, teardown completes.
    maps.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "metadata": { "finalizers": null } })),
    )
    .await
    .unwrap();
    delete_namespace(
        &client,
        &ours(&id, &ns, &common::cluster::live_uid(&client, &ns).await),
        WAIT,
    )
    .await
    .unwrap();
}

/// Generated releases: each valid one renders objects that the API server
/// accepts under a server-side dry-run (20 of them, with the namespace made
/// for real); each broken one is refused with a field error naming where,
/// before anything could be stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_releases_render_what_the_api_server_accepts() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let settings = RenderSettings::default();
    let mut tier = tier("professional");
    tier.features.push("autoscaling".into());
    for case in 0..20 {
        let release = common::releases::release()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        app::domain::release::validate(&release)
            .unwrap_or_else(|e| panic!("case {case}: a generated release is valid: {e}"));
        let text = yaml_serde::to_string(&release).unwrap();
        assert_eq!(
            server::applications::parse_release(&text).unwrap(),
            release,
            "case {case} reads back"
        );

        let id = unique_id("gen");
        let ns = namespace_of(&settings, &id);
        let input = TenantInput {
            id: &id,
            namespace: &ns,
            custom_domain: Some("shop.example.org"),
            owner_email: "owner@example.com",
            template_key: "professional",
            template_version: 1,
            tier: &tier,
            release: &release,
            custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            secrets_rotated: None,
        };
        let mut objects = render(&input, &settings, &cluster.caps);
        for phase in app::dto::JobPhase::ALL {
            objects.extend(server::manifests::phase_jobs(
                &input,
                &settings,
                &cluster.caps,
                *phase,
            ));
        }
        let (namespace, rest) = objects.split_first().unwrap();
        assert_eq!(namespace.kind, "Namespace");
        server::cluster::apply_manifest(&cluster.client, namespace)
            .await
            .unwrap();
        for m in rest {
            if let Err(e) = server::cluster::dry_run_manifest(&cluster.client, m).await {
                panic!(
                    "case {case}: {e}\n{}",
                    yaml_serde::to_string(&release).unwrap()
                );
            }
        }
        Api::<Namespace>::all(cluster.client.clone())
            .delete(&ns, &Default::default())
            .await
            .unwrap();

        let (broken, field) = common::releases::break_one(release, case);
        let text = yaml_serde::to_string(&broken).unwrap();
        match server::applications::parse_release(&text) {
            Err(app::error::AppError::Invalid(errors)) => assert!(
                errors.iter().any(|e| e.field == field),
                "case {case}: {field} named in {errors:?}"
            ),
            other => panic!("case {case}: {field} broken, yet {other:?}"),
        }
    }
}
