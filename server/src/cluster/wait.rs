//! Waiting for readiness from the cluster index (never polling, no watch
//! per object; see `monitoring::ready` for what counts as ready). On
//! timeout the error says what the pods are waiting on (CrashLoopBackOff, …).

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use crate::error::{Result, ServerError};
use crate::monitoring::{ClusterIndex, Target, Verdict};

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

/// The newest termination message a container of Job `job`'s pods left
/// (what its program wrote to `/dev/termination-log`), cut to 500
/// characters: why a job failed, in the application's words.
pub async fn termination_message(client: &kube::Client, ns: &str, job: &str) -> Option<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let list = pods
        .list(&ListParams::default().labels(&format!("job-name={job}")))
        .await
        .ok()?;
    list.items
        .iter()
        .flat_map(|p| {
            p.status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
        })
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref())
        .filter_map(|t| {
            let m = t.message.as_deref()?.trim();
            (!m.is_empty()).then(|| (t.finished_at.clone(), m.to_string()))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, m)| m.chars().take(500).collect())
}

/// What a wait names, its pods' component, and how it speaks of not done.
fn describe(target: Target<'_>, ns: &str) -> (String, &'static str) {
    match target {
        Target::Deployment(n) => (format!("Deployment {ns}/{n}"), "was not ready"),
        Target::StatefulSet(n) => (format!("StatefulSet {ns}/{n}"), "was not ready"),
        Target::DbCluster(n) => (format!("Cluster {ns}/{n}"), "was not ready"),
        Target::Job(n) => (format!("Job {ns}/{n}"), "did not finish"),
    }
}

/// The generation the API server gave `target`'s newest spec (0 when it
/// does not exist yet): one read, so the index is never trusted with an
/// older spec than the one just applied.
async fn live_generation(client: &kube::Client, ns: &str, target: Target<'_>) -> Result<i64> {
    async fn of<K>(api: Api<K>, name: &str, what: String) -> Result<i64>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let found = api
            .get_opt(name)
            .await
            .map_err(|e| ServerError::kube_on(&what, e))?;
        Ok(found.and_then(|o| o.meta().generation).unwrap_or(0))
    }
    let (what, _) = describe(target, ns);
    match target {
        Target::Deployment(n) => {
            of(Api::<Deployment>::namespaced(client.clone(), ns), n, what).await
        }
        Target::StatefulSet(n) => {
            of(Api::<StatefulSet>::namespaced(client.clone(), ns), n, what).await
        }
        Target::Job(n) => of(Api::<Job>::namespaced(client.clone(), ns), n, what).await,
        Target::DbCluster(n) => {
            let ar = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("postgresql.cnpg.io", "v1", "Cluster"),
                "clusters",
            );
            of(
                Api::<DynamicObject>::namespaced_with(client.clone(), ns, &ar),
                n,
                what,
            )
            .await
        }
    }
}

/// Waits until `target` in the tenant's namespace is ready, as the cluster
/// index sees it (no watch of its own), or fails after `timeout` with what
/// the pods of `component` are waiting on. A Job that fails is reported at
/// once.
pub async fn wait_ready(
    client: &kube::Client,
    index: &ClusterIndex,
    (tenant, ns): (&str, &str),
    target: Target<'_>,
    component: &str,
    timeout: Duration,
) -> Result<()> {
    let (what, not_done) = describe(target, ns);
    let generation = live_generation(client, ns, target).await?;
    match index
        .wait_for((tenant, ns), (target, generation), timeout)
        .await
    {
        Some(Verdict::Ready) => Ok(()),
        Some(Verdict::Failed(why)) => {
            let said = match target {
                Target::Job(job) => termination_message(client, ns, job)
                    .await
                    .map(|m| format!("; its container said: {m}"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            Err(ServerError::Wait(format!("{what} failed: {why}{said}")))
        }
        _ => {
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
