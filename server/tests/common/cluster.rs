//! Real-cluster fixtures: the local control plane from `end2end/cluster`, and
//! a fake kubelet that sets pod status the way a node would.

use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::watcher;
use serde_json::json;
use server::cluster::Cluster;

/// The test cluster from `TENANTRY_TEST_KUBECONFIG`; `None` (skip) outside
/// CI when it is not set, a failure in CI.
pub async fn test_cluster() -> Option<Cluster> {
    let Ok(path) = std::env::var("TENANTRY_TEST_KUBECONFIG") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set TENANTRY_TEST_KUBECONFIG (see .ci/test)"
        );
        eprintln!("TENANTRY_TEST_KUBECONFIG is not set: skipping a real-cluster test");
        return None;
    };
    Some(
        Cluster::connect(Some(std::path::Path::new(&path)))
            .await
            .expect("connect to the test cluster"),
    )
}

/// A tenant ID no other test run uses.
pub fn unique_id(stem: &str) -> String {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{stem}-{:x}",
        (n ^ u128::from(std::process::id())) & 0xff_ffff_ffff
    )
}

/// What the fake kubelet does with a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodFate {
    Ready,
    Succeeded,
    CrashLoop,
    LeavePending,
}

/// Plays the kubelet for one namespace until dropped.
pub struct FakeKubelet {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKubelet {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dt.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn status_for(pod: &Pod, fate: PodFate) -> Option<serde_json::Value> {
    let container = pod.spec.as_ref()?.containers.first()?;
    let (name, image) = (
        container.name.clone(),
        container.image.clone().unwrap_or_default(),
    );
    let t = now();
    let cond = |ty: &str, ok: bool| json!({ "type": ty, "status": if ok { "True" } else { "False" }, "lastTransitionTime": t });
    Some(match fate {
        PodFate::LeavePending => return None,
        PodFate::Ready => json!({ "status": {
            "phase": "Running", "startTime": t,
            "conditions": [cond("PodScheduled", true), cond("Initialized", true), cond("ContainersReady", true), cond("Ready", true)],
            "containerStatuses": [{ "name": name, "image": image, "imageID": "", "ready": true, "restartCount": 0, "started": true,
                "state": { "running": { "startedAt": t } } }],
        }}),
        PodFate::Succeeded => json!({ "status": {
            "phase": "Succeeded", "startTime": t,
            "conditions": [cond("PodScheduled", true), cond("Ready", false)],
            "containerStatuses": [{ "name": name, "image": image, "imageID": "", "ready": false, "restartCount": 0,
                "state": { "terminated": { "exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t } } }],
        }}),
        PodFate::CrashLoop => json!({ "status": {
            "phase": "Running", "startTime": t,
            "conditions": [cond("PodScheduled", true), cond("ContainersReady", false), cond("Ready", false)],
            "containerStatuses": [{ "name": name, "image": image, "imageID": "", "ready": false, "restartCount": 4,
                "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed container" } } }],
        }}),
    })
}

impl FakeKubelet {
    /// Watches the namespace's pods and gives each the status `fate` picks.
    pub fn start(client: kube::Client, ns: &str, fate: fn(&Pod) -> PodFate) -> FakeKubelet {
        let pods: Api<Pod> = Api::namespaced(client, ns);
        let task = tokio::spawn(async move {
            let mut events = watcher(pods.clone(), watcher::Config::default()).boxed();
            while let Some(event) = events.next().await {
                let pod = match event {
                    Ok(watcher::Event::Apply(p)) | Ok(watcher::Event::InitApply(p)) => p,
                    _ => continue,
                };
                let already = pod
                    .status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .is_some_and(|c| !c.is_empty());
                if already || pod.metadata.deletion_timestamp.is_some() {
                    continue;
                }
                if let (Some(name), Some(patch)) =
                    (pod.metadata.name.clone(), status_for(&pod, fate(&pod)))
                {
                    let _ = pods
                        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await;
                }
            }
        });
        FakeKubelet { task }
    }
}

/// The component label of a pod ("api", "web", "migration", "database").
pub fn component(pod: &Pod) -> &str {
    pod.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("app.kubernetes.io/component"))
        .map(String::as_str)
        .unwrap_or("")
}
