//! Real-cluster fixtures: the local control plane from `end2end/cluster`, and
//! a fake kubelet that sets pod status the way a node would.

use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::{watcher, WatchStreamExt};
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

/// Removes a test tenant's namespace (Tenantry's, labelled for `tenant`),
/// as teardown would; fails the test if it does not go.
pub async fn remove_namespace(client: &kube::Client, tenant: &str, ns: &str) {
    let uid = live_uid(client, ns).await;
    let target = server::cluster::TenantNamespace {
        name: ns,
        tenant,
        uid: Some(&uid),
        nonce: None,
    };
    server::cluster::delete_namespace(client, &target, std::time::Duration::from_secs(60))
        .await
        .expect("the test namespace is removed");
}

/// The UID of the live namespace `ns` ("" when it is gone), for a test
/// that vouches the namespace is the one it made.
pub async fn live_uid(client: &kube::Client, ns: &str) -> String {
    kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .get_opt(ns)
        .await
        .expect("read the namespace")
        .and_then(|n| n.metadata.uid)
        .unwrap_or_default()
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
    /// The container exits 1 leaving [`FAILED_MESSAGE`] as its
    /// termination message (a Job's pod that fails).
    Failed,
    /// Bound to [`FAKE_NODE`] and Ready at this address (where a test
    /// serves HTTP), so the Service's Endpoints hold it and the API
    /// server's service proxy reaches it.
    ReadyAt([u8; 4]),
}

/// The node pods given an address are bound to (Endpoints need a node
/// name). No Node object exists: the pods are the test's, and the pod
/// garbage collector may remove them after its quarantine, when their
/// Deployment makes new ones.
pub const FAKE_NODE: &str = "tenantry-fake-node";

/// What a pod given [`PodFate::Failed`] says as it ends.
pub const FAILED_MESSAGE: &str = "smtp.example.com refused the connection";

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

/// The fake kubelet plays `backup.sh` too: a backup pod PUTs a made-up dump
/// to the presigned URL its Job was given (with curl, as the script does)
/// and reports it as the script's termination log would; a restore pod
/// GETs its dump. The termination message, if any.
fn play_script(c: &k8s_openapi::api::core::v1::Container) -> Option<String> {
    use sha2::Digest;
    let mode = c.command.as_ref()?.last()?.clone();
    let env = |k: &str| {
        c.env
            .as_ref()?
            .iter()
            .find(|e| e.name == k)
            .and_then(|e| e.value.clone())
    };
    let (key, url) = (env("BACKUP_KEY")?, env("BACKUP_URL")?);
    let curl = |args: &[&str]| {
        std::process::Command::new("curl")
            .args(["--silent", "--fail", "--config", "-"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    writeln!(stdin, "url = \"{url}\"")?;
                }
                child.wait()
            })
            .is_ok_and(|s| s.success())
    };
    match mode.as_str() {
        "backup" => {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
            let body = format!("a made-up dump {stamp} ").repeat(200);
            let file = std::env::temp_dir().join(format!("fake-dump-{stamp}"));
            std::fs::write(&file, &body).ok()?;
            let mut args = vec!["--upload-file", file.to_str()?];
            let sse = env("BACKUP_SSE").map(|v| format!("x-amz-server-side-encryption: {v}"));
            if let Some(h) = &sse {
                args.extend(["-H", h]);
            }
            let put = curl(&args);
            let _ = std::fs::remove_file(&file);
            if !put {
                return Some(format!("backup: upload of {key} failed"));
            }
            let sha = hex::encode(sha2::Sha256::digest(body.as_bytes()));
            Some(json!({ "key": key, "size": body.len(), "sha256": sha }).to_string())
        }
        "restore" if !curl(&["--output", "/dev/null"]) => {
            Some(format!("backup: download of {key} failed"))
        }
        _ => None,
    }
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
        PodFate::ReadyAt(ip) => {
            let mut ready = status_for(pod, PodFate::Ready)?;
            let ip = std::net::Ipv4Addr::from(ip).to_string();
            ready["status"]["podIP"] = json!(ip);
            ready["status"]["podIPs"] = json!([{ "ip": ip }]);
            ready
        }
        PodFate::Succeeded => json!({ "status": {
            "phase": "Succeeded", "startTime": t,
            "conditions": [cond("PodScheduled", true), cond("Ready", false)],
            "containerStatuses": [{ "name": name, "image": image, "imageID": "", "ready": false, "restartCount": 0,
                "state": { "terminated": { "exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": t,
                    "message": play_script(container).unwrap_or_default() } } }],
        }}),
        PodFate::Failed => json!({ "status": {
            "phase": "Failed", "startTime": t,
            "conditions": [cond("PodScheduled", true), cond("Ready", false)],
            "containerStatuses": [{ "name": name, "image": image, "imageID": "", "ready": false, "restartCount": 0,
                "state": { "terminated": { "exitCode": 1, "reason": "Error", "startedAt": t, "finishedAt": t,
                    "message": FAILED_MESSAGE } } }],
        }}),
        PodFate::CrashLoop => json!({ "status": {
            "phase": "Running", "startTime": t,
            "conditions": [cond("PodScheduled", true), cond("ContainersReady", false), cond("Ready", false)],
            "containerStatuses": [{ "name": name, "image": image, "imageID": "", "ready": false, "restartCount": 4,
                "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed container" } } }],
        }}),
    })
}

/// Decides each pod's fate; may change its mind (a gate opening).
pub type Fate = std::sync::Arc<dyn Fn(&Pod) -> PodFate + Send + Sync>;

/// Gives one pod the status its fate says, unless it already has one.
async fn settle(pods: &Api<Pod>, pod: &Pod, fate: &Fate, log: &Option<ReadyLog>) {
    let already = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|c| !c.is_empty());
    let bound = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
    let name = pod.metadata.name.clone().unwrap_or_default();
    if pod.metadata.deletion_timestamp.is_some() {
        // A bound pod goes only when its node's kubelet says it stopped.
        if bound == Some(FAKE_NODE) {
            let _ = pods
                .delete(&name, &kube::api::DeleteParams::default().grace_period(0))
                .await;
        }
        return;
    }
    if already {
        return;
    }
    let f = fate(pod);
    if matches!(f, PodFate::ReadyAt(_)) && bound.is_none() {
        let binding = json!({
            "apiVersion": "v1", "kind": "Binding", "metadata": { "name": name },
            "target": { "apiVersion": "v1", "kind": "Node", "name": FAKE_NODE },
        });
        let bind = pods
            .create_subresource::<_, serde_json::Value>(
                "binding",
                &name,
                &kube::api::PostParams::default(),
                &binding,
            )
            .await;
        if bind.is_err() {
            return;
        }
    }
    if let (Some(name), Some(patch)) = (pod.metadata.name.clone(), status_for(pod, f)) {
        if pods
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .is_ok()
        {
            if let (Some(log), PodFate::Ready | PodFate::ReadyAt(_)) = (log, f) {
                if let Ok(mut l) = log.lock() {
                    l.push((
                        pod.metadata.namespace.clone().unwrap_or_default(),
                        component(pod).to_string(),
                        server::store::now_ms(),
                    ));
                }
            }
        }
    }
}

/// (namespace, component, ms since the epoch) of every pod made Ready.
pub type ReadyLog = std::sync::Arc<std::sync::Mutex<Vec<(String, String, i64)>>>;

impl FakeKubelet {
    /// Watches the namespace's pods and gives each the status `fate` picks.
    pub fn start(
        client: kube::Client,
        ns: &str,
        fate: impl Fn(&Pod) -> PodFate + Send + Sync + 'static,
    ) -> FakeKubelet {
        Self::start_logged(client, Some(ns), std::sync::Arc::new(fate), None)
    }

    /// Like [`FakeKubelet::start`] (all namespaces when `ns` is `None`),
    /// recording when it made each pod Ready. Besides reacting to the watch,
    /// it looks at every pod once a second, so a pod left pending while a
    /// gate was closed is settled once it opens.
    pub fn start_logged(
        client: kube::Client,
        ns: Option<&str>,
        fate: Fate,
        log: Option<ReadyLog>,
    ) -> FakeKubelet {
        let pods: Api<Pod> = match ns {
            Some(ns) => Api::namespaced(client, ns),
            None => Api::all(client),
        };
        let task = tokio::spawn(async move {
            let mut events = watcher(pods.clone(), watcher::Config::default())
                .default_backoff()
                .boxed();
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! {
                    event = events.next() => match event {
                        Some(Ok(watcher::Event::Apply(p))) | Some(Ok(watcher::Event::InitApply(p))) => {
                            let api = match p.metadata.namespace.as_deref() {
                                Some(n) => Api::namespaced(pods.clone().into_client(), n),
                                None => pods.clone(),
                            };
                            settle(&api, &p, &fate, &log).await;
                        }
                        Some(_) => {}
                        None => break,
                    },
                    _ = tick.tick() => {
                        if let Ok(list) = pods.list(&Default::default()).await {
                            for p in list.items {
                                let api = match p.metadata.namespace.as_deref() {
                                    Some(n) => Api::namespaced(pods.clone().into_client(), n),
                                    None => pods.clone(),
                                };
                                settle(&api, &p, &fate, &log).await;
                            }
                        }
                    }
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

/// Whether the cluster makes a token Secret for each service account
/// (before Kubernetes 1.24), which a pod that mounts the token waits for.
pub async fn legacy_token_secrets(client: &kube::Client) -> bool {
    let v = client
        .apiserver_version()
        .await
        .expect("the server's version");
    let minor: u32 = v
        .minor
        .trim_end_matches('+')
        .parse()
        .expect("a numeric minor version");
    v.major == "1" && minor < 24
}

/// Waits until a new namespace's `default` service account exists (and,
/// with `legacy_tokens`, its token Secret), as a real client must before it
/// creates a pod there: until then the API server refuses pods ("No API
/// token found for service account \"default\"").
pub async fn default_service_account(client: &kube::Client, ns: &str, legacy_tokens: bool) {
    use k8s_openapi::api::core::v1::ServiceAccount;
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let ready = |sa: Option<&ServiceAccount>| {
        sa.is_some_and(|sa| !legacy_tokens || sa.secrets.as_ref().is_some_and(|s| !s.is_empty()))
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        kube::runtime::wait::await_condition(api, "default", ready),
    )
    .await
    .expect("the default service account within a minute")
    .expect("watching the default service account");
}

/// Creates a pod, and again while the API server answers "retry after"
/// (its service-account admission can lag the token controller).
pub async fn create_pod(pods: &Api<Pod>, pod: &Pod) {
    for _ in 0..30 {
        match pods.create(&kube::api::PostParams::default(), pod).await {
            Ok(_) => return,
            Err(kube::Error::Api(e))
                if e.code == 500
                    && e.details
                        .as_ref()
                        .is_some_and(|d| d.retry_after_seconds > 0) =>
            {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            Err(e) => panic!("creating a pod: {e}"),
        }
    }
    panic!("the API server kept asking to retry creating a pod");
}

/// The Job in `ns` whose name starts with `prefix` (a release's job is
/// named by a hash of its spec).
pub async fn job_named(
    client: &kube::Client,
    ns: &str,
    prefix: &str,
) -> k8s_openapi::api::batch::v1::Job {
    Api::<k8s_openapi::api::batch::v1::Job>::namespaced(client.clone(), ns)
        .list(&Default::default())
        .await
        .expect("list Jobs")
        .items
        .into_iter()
        .find(|j| {
            j.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no Job {prefix}… in {ns}"))
}

/// Gives pod `name` of `ns` the status `fate` says now, whatever it had
/// (a pod that was Ready starts crash-looping).
pub async fn befall(client: &kube::Client, ns: &str, name: &str, fate: PodFate) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pod = pods.get(name).await.expect("the pod");
    let status = status_for(&pod, fate).expect("a status to give");
    pods.patch_status(
        name,
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&status),
    )
    .await
    .expect("the pod's new status");
}
