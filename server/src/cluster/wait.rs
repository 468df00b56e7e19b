//! Waiting for readiness with watches (never polling): a Deployment whose
//! ready replicas reach its desired count, a Job that completes. On timeout
//! the error says what the pods are waiting on (CrashLoopBackOff, …).

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::runtime::wait::await_condition;

use crate::error::{Result, ServerError};

fn deployment_ready(d: Option<&Deployment>) -> bool {
    let Some(d) = d else { return false };
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(st) = d.status.as_ref() else {
        return false;
    };
    let observed = st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    // Rolled out: every pod is of the new template and ready, no old pod left.
    observed
        && st.updated_replicas.unwrap_or(0) == want
        && st.ready_replicas.unwrap_or(0) == want
        && st.replicas.unwrap_or(0) == want
}

/// What the pods of `component` are stuck on, e.g. "api-7d9-x: CrashLoopBackOff (back-off 5m0s …)".
pub async fn pod_problems(client: &kube::Client, ns: &str, component: &str) -> Result<Vec<String>> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let lp = ListParams::default().labels(&format!("app.kubernetes.io/component={component}"));
    let list = pods
        .list(&lp)
        .await
        .map_err(|e| ServerError::kube_on(&format!("pods in {ns}"), e))?;
    let mut out = vec![];
    for p in list.items {
        let name = p.metadata.name.clone().unwrap_or_default();
        let statuses = p
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.clone())
            .unwrap_or_default();
        for c in statuses {
            let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
            let terminated = c.state.as_ref().and_then(|s| s.terminated.as_ref());
            if let Some(w) = waiting {
                let reason = w.reason.clone().unwrap_or_else(|| "Waiting".into());
                let msg = w
                    .message
                    .clone()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                out.push(format!(
                    "pod {name}: {reason}{msg}, {} restart(s)",
                    c.restart_count
                ));
            } else if let Some(t) = terminated.filter(|t| t.exit_code != 0) {
                out.push(format!(
                    "pod {name}: exited {} ({})",
                    t.exit_code,
                    t.reason.clone().unwrap_or_default()
                ));
            }
        }
        if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending") && out.is_empty() {
            out.push(format!("pod {name}: Pending"));
        }
    }
    Ok(out)
}

/// Waits until the Deployment is fully ready, or fails after `timeout` with
/// the pods' reasons.
pub async fn wait_deployment_ready(
    client: &kube::Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let what = format!("Deployment {ns}/{name}");
    let cond = await_condition(api, name, deployment_ready);
    wait_or_explain(client, ns, name, &what, "was not ready", timeout, cond).await?;
    Ok(())
}

/// Waits until the migration Job succeeds; a Job that fails is reported at once.
pub async fn wait_job_complete(
    client: &kube::Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    wait_job_complete_of(client, ns, name, "migration", timeout).await
}

/// Waits until a Job whose pods are labelled `component` succeeds.
pub async fn wait_job_complete_of(
    client: &kube::Client,
    ns: &str,
    name: &str,
    component: &str,
    timeout: Duration,
) -> Result<()> {
    let api: Api<Job> = Api::namespaced(client.clone(), ns);
    let finished = |j: Option<&Job>| {
        j.and_then(|j| j.status.as_ref())
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| {
                c.iter()
                    .any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
            })
    };
    let what = format!("Job {ns}/{name}");
    let cond = await_condition(api, name, finished);
    let job = wait_or_explain(
        client,
        ns,
        component,
        &what,
        "did not finish",
        timeout,
        cond,
    )
    .await?;
    let failed = job
        .and_then(|j| j.status)
        .and_then(|s| s.conditions)
        .and_then(|c| {
            c.into_iter()
                .find(|c| c.type_ == "Failed" && c.status == "True")
        });
    match failed {
        Some(c) => Err(ServerError::Wait(format!(
            "Job {ns}/{name} failed: {} {}",
            c.reason.unwrap_or_default(),
            c.message.unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// Waits until the StatefulSet's replicas are all ready; on timeout, why not.
pub async fn wait_statefulset_ready(
    client: &kube::Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    let api: Api<StatefulSet> = Api::namespaced(client.clone(), ns);
    let ready = |s: Option<&StatefulSet>| {
        s.is_some_and(|s| {
            let want = s.spec.as_ref().and_then(|sp| sp.replicas).unwrap_or(1);
            s.status
                .as_ref()
                .is_some_and(|st| st.ready_replicas.unwrap_or(0) >= want)
        })
    };
    wait_or_explain(
        client,
        ns,
        "database",
        &format!("StatefulSet {ns}/{name}"),
        "was not ready",
        timeout,
        await_condition(api, name, ready),
    )
    .await
    .map(|_| ())
}

/// Waits until a CloudNativePG Cluster reports all instances ready.
pub async fn wait_cnpg_ready(
    client: &kube::Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("postgresql.cnpg.io", "v1", "Cluster"),
        "clusters",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    let ready = |c: Option<&DynamicObject>| {
        c.is_some_and(|c| {
            let want = c.data["spec"]["instances"].as_i64().unwrap_or(1);
            c.data["status"]["readyInstances"].as_i64().unwrap_or(0) >= want
        })
    };
    wait_or_explain(
        client,
        ns,
        "database",
        &format!("Cluster {ns}/{name}"),
        "was not ready",
        timeout,
        await_condition(api, name, ready),
    )
    .await
    .map(|_| ())
}

/// Runs a watch-driven wait; on timeout the error says what the pods of
/// `component` are waiting on.
#[allow(clippy::too_many_arguments)]
async fn wait_or_explain<T, E: std::fmt::Display>(
    client: &kube::Client,
    ns: &str,
    component: &str,
    what: &str,
    not_done: &str,
    timeout: Duration,
    cond: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(timeout, cond).await {
        Ok(Ok(value)) => Ok(value),
        // A watch cut off (API server restarting, connection dropped) is
        // worth another attempt; a timeout below is the step's verdict.
        Ok(Err(e)) => Err(ServerError::WatchLost(format!(
            "watching {what} failed: {e}"
        ))),
        Err(_) => {
            let problems = pod_problems(client, ns, component)
                .await
                .unwrap_or_default();
            let detail = if problems.is_empty() {
                "no pod reported a reason".into()
            } else {
                problems.join("; ")
            };
            Err(ServerError::Wait(format!(
                "{what} {not_done} after {}s: {detail}",
                timeout.as_secs()
            )))
        }
    }
}
