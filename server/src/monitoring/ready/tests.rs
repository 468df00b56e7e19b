//! Readiness from the index's objects, without a cluster.

use app::dto::{PodDto, WorkloadDto};

use super::*;

fn pod(name: &str, revision: &str, ready: bool, phase: &str) -> ((Kind, String), Item) {
    (
        (Kind::Pod, name.into()),
        Item::Pod(
            PodDto {
                name: name.into(),
                component: "api".into(),
                phase: phase.into(),
                ready,
                restarts: 0,
                reason: None,
                created_at: None,
            },
            PodOrigin {
                revision: Some(revision.into()),
                job: None,
            },
        ),
    )
}

fn workload(
    kind: Kind,
    name: &str,
    (desired, ready): (i32, i32),
    r: Rollout,
) -> ((Kind, String), Item) {
    (
        (kind, name.into()),
        Item::Workload(
            WorkloadDto {
                kind: kind.name().into(),
                name: name.into(),
                component: "api".into(),
                desired,
                ready,
            },
            r,
        ),
    )
}

fn replica_set(name: &str, template: u64, hash: &str) -> ((Kind, String), Item) {
    (
        (Kind::ReplicaSet, name.into()),
        Item::ReplicaSet(ReplicaSetItem {
            deployment: Some("api".into()),
            template: Some(template),
            hash: Some(hash.into()),
        }),
    )
}

/// A Deployment changed to template 2 whose status (even its observed
/// generation) still lags behind.
fn lagging(observed: i64) -> Rollout {
    Rollout {
        generation: 2,
        observed_generation: observed,
        updated: 0,
        total: 2,
        template: Some(2),
        revision: None,
        finished: None,
    }
}

#[test]
fn a_deployment_is_ready_when_its_current_pods_are_before_its_status_says_so() {
    let mut objs: Objects = [
        workload(Kind::Deployment, "api", (2, 0), lagging(1)),
        replica_set("api-old", 1, "old"),
        replica_set("api-new", 2, "new"),
        pod("api-old-a", "old", true, "Running"),
        pod("api-old-b", "old", true, "Running"),
        pod("api-new-a", "new", true, "Running"),
    ]
    .into_iter()
    .collect();
    let api = Target::Deployment("api");
    assert_eq!(
        verdict(&objs, api, 0),
        Verdict::Waiting,
        "the old pods do not count"
    );
    objs.extend([pod("api-new-b", "new", false, "Running")]);
    assert_eq!(verdict(&objs, api, 0), Verdict::Waiting);
    objs.extend([pod("api-new-b", "new", true, "Terminating")]);
    assert_eq!(verdict(&objs, api, 0), Verdict::Waiting, "a pod going away");
    objs.extend([pod("api-new-b", "new", true, "Running")]);
    assert_eq!(verdict(&objs, api, 0), Verdict::Ready);
    // Another Deployment's ReplicaSet with the same template is not this one's.
    let mut foreign: Objects = objs
        .iter()
        .filter(|(k, _)| k.1 != "api-new")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    foreign.extend([(
        (Kind::ReplicaSet, "web-new".to_string()),
        Item::ReplicaSet(ReplicaSetItem {
            deployment: Some("web".into()),
            template: Some(2),
            hash: Some("new".into()),
        }),
    )]);
    assert_eq!(verdict(&foreign, api, 0), Verdict::Waiting);
    // The status alone is enough once it is complete.
    let done = Rollout {
        observed_generation: 2,
        updated: 2,
        ..lagging(1)
    };
    let only: Objects = [workload(Kind::Deployment, "api", (2, 2), done.clone())]
        .into_iter()
        .collect();
    assert_eq!(verdict(&only, api, 0), Verdict::Ready);
    // Once its ReplicaSets are seen, the pods decide: scaled to zero and
    // straight back up, the status still counts the terminating pods.
    let mut resumed = only.clone();
    resumed.extend([
        replica_set("api-new", 2, "new"),
        pod("api-new-a", "new", true, "Terminating"),
        pod("api-new-b", "new", true, "Terminating"),
    ]);
    assert_eq!(verdict(&resumed, api, 0), Verdict::Waiting);
    resumed.extend([
        pod("api-new-c", "new", true, "Running"),
        pod("api-new-d", "new", true, "Running"),
    ]);
    assert_eq!(verdict(&resumed, api, 0), Verdict::Ready);
    // Right after an apply the index may still hold the previous spec:
    // ready only at the generation the API server gave the new one.
    assert_eq!(verdict(&only, api, 3), Verdict::Waiting);
    assert_eq!(verdict(&only, api, 2), Verdict::Ready);
    assert_eq!(
        verdict(&Objects::new(), api, 0),
        Verdict::Waiting,
        "not seen yet"
    );
}

#[test]
fn statefulsets_jobs_and_database_clusters() {
    let sts = Rollout {
        revision: Some("db-abc".into()),
        ..Rollout::default()
    };
    let mut objs: Objects = [
        workload(Kind::StatefulSet, "db", (1, 0), sts),
        pod("db-0", "db-old", true, "Running"),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        verdict(&objs, Target::StatefulSet("db"), 0),
        Verdict::Waiting
    );
    objs.extend([pod("db-0", "db-abc", true, "Running")]);
    assert_eq!(verdict(&objs, Target::StatefulSet("db"), 0), Verdict::Ready);

    let mut job_pod = pod("migrate-x", "", false, "Succeeded");
    if let Item::Pod(_, o) = &mut job_pod.1 {
        o.job = Some("migrate".into());
    }
    let mut objs: Objects = [workload(Kind::Job, "migrate", (1, 0), Rollout::default())]
        .into_iter()
        .collect();
    assert_eq!(verdict(&objs, Target::Job("migrate"), 0), Verdict::Waiting);
    objs.extend([job_pod]);
    assert_eq!(
        verdict(&objs, Target::Job("migrate"), 0),
        Verdict::Ready,
        "its pod succeeded"
    );
    let failed = Rollout {
        finished: Some(Err(
            "BackoffLimitExceeded Job has reached the specified backoff limit".into(),
        )),
        ..Rollout::default()
    };
    let objs: Objects = [workload(Kind::Job, "migrate", (1, 0), failed)]
        .into_iter()
        .collect();
    assert!(
        matches!(verdict(&objs, Target::Job("migrate"), 0), Verdict::Failed(w) if w.contains("BackoffLimitExceeded"))
    );

    let objs: Objects = [workload(Kind::DbCluster, "db", (3, 2), Rollout::default())]
        .into_iter()
        .collect();
    assert_eq!(verdict(&objs, Target::DbCluster("db"), 0), Verdict::Waiting);
}

#[test]
fn a_replica_sets_template_digest_is_its_deployments_without_the_hash_label() {
    use k8s_openapi::api::core::v1::PodTemplateSpec;
    let template = |labels: serde_json::Value, image: &str| -> PodTemplateSpec {
        serde_json::from_value(serde_json::json!({
            "metadata": { "labels": labels },
            "spec": { "containers": [{ "name": "api", "image": image }] }
        }))
        .unwrap_or_default()
    };
    let deployment = template(serde_json::json!({ "app": "api" }), "api:1");
    let replica_set = template(
        serde_json::json!({ "app": "api", "pod-template-hash": "5977cf6cc9" }),
        "api:1",
    );
    let changed = template(serde_json::json!({ "app": "api" }), "api:2");
    assert!(template_digest(&deployment).is_some());
    assert_eq!(template_digest(&deployment), template_digest(&replica_set));
    assert_ne!(template_digest(&deployment), template_digest(&changed));
}

#[test]
fn health_counts_a_deployments_ready_pods_as_the_waits_do() {
    let objs: Objects = [
        workload(Kind::Deployment, "api", (3, 0), lagging(1)),
        replica_set("api-old", 1, "old"),
        replica_set("api-new", 2, "new"),
        pod("api-old-a", "old", true, "Running"),
        pod("api-new-a", "new", true, "Running"),
        pod("api-new-b", "new", true, "Running"),
        pod("api-new-c", "new", false, "Running"),
        pod("api-new-d", "new", true, "Terminating"),
        // Another Deployment's pods do not count.
        pod("web-a", "other", true, "Running"),
    ]
    .into_iter()
    .collect();
    let Some(Item::Workload(w, r)) = objs.get(&(Kind::Deployment, "api".to_string())) else {
        panic!("no workload");
    };
    // The status still says 0; the pods say 3 (one old, two new).
    assert_eq!(ready_now(&objs, w, r), 3);
    // Without its ReplicaSets known, the status is all there is.
    let bare: Objects = objs
        .clone()
        .into_iter()
        .filter(|(k, _)| k.0 != Kind::ReplicaSet)
        .collect();
    assert_eq!(ready_now(&bare, w, r), 0);
    // A pod turning unready lowers the count before the status does.
    let mut worse = objs.clone();
    worse.extend([pod("api-new-a", "new", false, "Running")]);
    assert_eq!(ready_now(&worse, w, r), 2);
}
