//! Keeps tenant states current between runs: one list of Tenantry's
//! Deployments across namespaces (by label, never list-all-and-filter) says
//! which tenants are fully ready (active) and which are not (degraded, with
//! why), and stamps when it was observed.

use std::collections::BTreeMap;
use std::time::Duration;

use app::dto::TenantState;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};

use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::manifests::{MANAGED_BY, TENANT_LABEL};
use crate::store::Store;

/// "api 1/2 ready" for each Deployment short of its desired replicas.
fn shortfalls(d: &Deployment) -> Option<String> {
    let name = d.metadata.name.clone().unwrap_or_default();
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = d
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    (ready < want).then(|| format!("{name} {ready}/{want} ready"))
}

/// One observation of every managed tenant; returns how many were stamped.
pub async fn observe_once(store: &Store, cluster: &Cluster) -> Result<usize> {
    let api: Api<Deployment> = Api::all(cluster.client.clone());
    let lp = ListParams::default().labels(&format!("{}={}", MANAGED_BY.0, MANAGED_BY.1));
    let list = api
        .list(&lp)
        .await
        .map_err(|e| ServerError::kube_on("Deployments managed by Tenantry", e))?;
    let mut by_tenant: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &list.items {
        let Some(tenant) = d.metadata.labels.as_ref().and_then(|l| l.get(TENANT_LABEL)) else {
            continue;
        };
        let entry = by_tenant.entry(tenant.clone()).or_default();
        if let Some(short) = shortfalls(d) {
            entry.push(short);
        }
    }
    let live = [TenantState::Active, TenantState::Degraded];
    let mut stamped = 0;
    for (tenant, problems) in by_tenant {
        let (state, detail) = if problems.is_empty() {
            (TenantState::Active, None)
        } else {
            (TenantState::Degraded, Some(problems.join(", ")))
        };
        if store
            .observe_tenant(&tenant, state, detail.as_deref(), &live)
            .await?
        {
            stamped += 1;
        }
    }
    Ok(stamped)
}

/// Observes every `every` until aborted, while this replica leads (the
/// states it writes must come from one place).
pub fn spawn_observer(
    store: Store,
    cluster: Cluster,
    every: Duration,
    leader: crate::replicas::Leadership,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if !leader.is_leader() {
                continue;
            }
            if let Err(e) = observe_once(&store, &cluster).await {
                tracing::warn!(error = %e, "could not observe tenant workloads");
            }
        }
    })
}
