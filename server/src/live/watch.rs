//! The watches that feed the cluster view: one per kind, across namespaces,
//! selected by Tenantry's label (the API server filters, we never list all).

use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Resource;
use serde::de::DeserializeOwned;

use app::dto::{PodDto, WorkloadDto};

use super::view::{ClusterView, Item, Slot, Summary};
use crate::manifests::{MANAGED_BY, TENANT_LABEL};

const COMPONENT: &str = "app.kubernetes.io/component";

/// Starts the three watches.
pub fn spawn_watches(client: kube::Client, view: Arc<ClusterView>) {
    tokio::spawn(follow(
        Api::<Pod>::all(client.clone()),
        Arc::clone(&view),
        Slot::Pods,
        pod_summary,
    ));
    tokio::spawn(follow(
        Api::<Deployment>::all(client.clone()),
        Arc::clone(&view),
        Slot::Deployments,
        deployment_summary,
    ));
    tokio::spawn(follow(
        Api::<Job>::all(client),
        view,
        Slot::Jobs,
        job_summary,
    ));
}

async fn follow<K>(
    api: Api<K>,
    view: Arc<ClusterView>,
    slot: Slot,
    summarise: fn(&K) -> Option<Summary>,
) where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    let mut events = watcher::watcher(api, watcher::Config::default().labels(&selector))
        .default_backoff()
        .boxed();
    let mut listing: Option<Vec<Summary>> = None;
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Init) => listing = Some(Vec::new()),
            Ok(Event::InitApply(obj)) => {
                if let (Some(list), Some(s)) = (listing.as_mut(), summarise(&obj)) {
                    list.push(s);
                }
            }
            Ok(Event::InitDone) => {
                view.replace(slot, listing.take().unwrap_or_default());
                view.set_watching(slot, true);
            }
            Ok(Event::Apply(obj)) => {
                if let Some(o) = summarise(&obj) {
                    view.apply(slot, (&o.tenant, &o.namespace, &o.name), Some(o.item));
                }
            }
            Ok(Event::Delete(obj)) => {
                if let Some(o) = summarise(&obj) {
                    view.apply(slot, (&o.tenant, &o.namespace, &o.name), None);
                }
            }
            Err(e) => {
                tracing::warn!(kind = ?slot, error = %e, "watch interrupted; retrying");
                view.set_watching(slot, false);
            }
        }
    }
}

fn ms(t: &Time) -> i64 {
    t.0.as_millisecond()
}

fn label<'a>(meta: &'a kube::api::ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

/// Where an object is: (tenant label, namespace, name), and its component.
struct Owner {
    tenant: String,
    namespace: String,
    name: String,
    component: String,
}

fn owner(meta: &kube::api::ObjectMeta) -> Option<Owner> {
    Some(Owner {
        tenant: label(meta, TENANT_LABEL)?.to_string(),
        namespace: meta.namespace.clone()?,
        name: meta.name.clone()?,
        component: label(meta, COMPONENT).unwrap_or("").to_string(),
    })
}

impl Owner {
    fn summary(self, item: Item) -> Summary {
        Summary {
            tenant: self.tenant,
            namespace: self.namespace,
            name: self.name,
            item,
        }
    }
}

pub fn pod_summary(pod: &Pod) -> Option<Summary> {
    let at = owner(&pod.metadata)?;
    let status = pod.status.clone().unwrap_or_default();
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let containers = status.container_statuses.unwrap_or_default();
    let restarts = containers.iter().map(|c| c.restart_count).sum();
    let reason = containers.iter().find_map(|c| {
        let state = c.state.as_ref()?;
        state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .or_else(|| state.terminated.as_ref().and_then(|t| t.reason.clone()))
    });
    let phase = if pod.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.unwrap_or_else(|| "Pending".into())
    };
    let item = Item::Pod(PodDto {
        name: at.name.clone(),
        component: at.component.clone(),
        phase,
        ready,
        restarts,
        reason,
        created_at: pod.metadata.creation_timestamp.as_ref().map(ms),
    });
    Some(at.summary(item))
}

fn deployment_summary(d: &Deployment) -> Option<Summary> {
    let at = owner(&d.metadata)?;
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = d
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    let item = Item::Workload(WorkloadDto {
        kind: "Deployment".into(),
        name: at.name.clone(),
        component: at.component.clone(),
        desired,
        ready,
    });
    Some(at.summary(item))
}

fn job_summary(j: &Job) -> Option<Summary> {
    let at = owner(&j.metadata)?;
    let desired = j.spec.as_ref().and_then(|s| s.completions).unwrap_or(1);
    let done = j.status.as_ref().and_then(|s| s.succeeded).unwrap_or(0);
    let item = Item::Workload(WorkloadDto {
        kind: "Job".into(),
        name: at.name.clone(),
        component: at.component.clone(),
        desired,
        ready: done,
    });
    Some(at.summary(item))
}
