//! The watches that feed the index: one per kind, across namespaces,
//! selected by Tenantry's label (the API server filters; nothing is listed
//! on a timer). Kinds a cluster may not serve (CloudNativePG `Cluster`,
//! cert-manager `Certificate`) are looked for again every few minutes, so
//! one installed after the console started is watched too.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event as K8sEvent, PersistentVolumeClaim, Pod, ResourceQuota};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::discovery::{ApiCapabilities, Scope};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Resource;
use serde::de::DeserializeOwned;

use super::index::{ClusterIndex, Kind, Summary};
use crate::manifests::MANAGED_BY;

mod summary;
use summary::{
    certificate_summary, claim_summary, db_cluster_summary, deployment_summary, event_summary,
    job_summary, quota_summary, replicaset_summary, statefulset_summary,
};
pub use summary::{pod_summary, ratio};
/// How often kinds that were not served are looked for again.
const REDISCOVER: Duration = Duration::from_secs(300);

/// Starts the watches of the kinds every cluster serves, and looks for the
/// optional ones now and every few minutes.
pub fn spawn_watches(client: kube::Client, index: Arc<ClusterIndex>) {
    for kind in Kind::ALWAYS {
        index.register(kind);
    }
    let i = || Arc::clone(&index);
    tokio::spawn(follow(
        Api::<Pod>::all(client.clone()),
        i(),
        Kind::Pod,
        pod_summary,
    ));
    tokio::spawn(follow(
        Api::<Deployment>::all(client.clone()),
        i(),
        Kind::Deployment,
        deployment_summary,
    ));
    tokio::spawn(follow(
        Api::<ReplicaSet>::all(client.clone()),
        i(),
        Kind::ReplicaSet,
        replicaset_summary,
    ));
    tokio::spawn(follow(
        Api::<StatefulSet>::all(client.clone()),
        i(),
        Kind::StatefulSet,
        statefulset_summary,
    ));
    tokio::spawn(follow(
        Api::<Job>::all(client.clone()),
        i(),
        Kind::Job,
        job_summary,
    ));
    tokio::spawn(follow(
        Api::<PersistentVolumeClaim>::all(client.clone()),
        i(),
        Kind::Claim,
        claim_summary,
    ));
    tokio::spawn(follow(
        Api::<ResourceQuota>::all(client.clone()),
        i(),
        Kind::Quota,
        quota_summary,
    ));
    // Events carry no label of ours: all are watched, and those in a
    // tenant's namespace kept (the index knows whose namespace is whose).
    let events = watcher::watcher(
        Api::<K8sEvent>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .boxed();
    let whose = i();
    tokio::spawn(fold(events, i(), Kind::Event, move |e: &K8sEvent| {
        event_summary(&whose, e)
    }));
    tokio::spawn(watch_optional_kinds(client, index));
}

/// The optional kinds: (kind, group, its summary).
type Optional = (Kind, &'static str, fn(&DynamicObject) -> Option<Summary>);
const OPTIONAL: [Optional; 2] = [
    (Kind::DbCluster, "postgresql.cnpg.io", db_cluster_summary),
    (Kind::Certificate, "cert-manager.io", certificate_summary),
];

async fn watch_optional_kinds(client: kube::Client, index: Arc<ClusterIndex>) {
    let mut started: Vec<Kind> = vec![];
    loop {
        for (kind, group, summarise) in OPTIONAL {
            if started.contains(&kind) {
                continue;
            }
            if let Some(ar) = served(&client, group, kind.name()).await {
                tracing::info!(
                    kind = kind.name(),
                    "watching an optional kind the cluster serves"
                );
                index.register(kind);
                let api = Api::<DynamicObject>::all_with(client.clone(), &ar);
                tokio::spawn(follow_dynamic(api, Arc::clone(&index), kind, summarise));
                started.push(kind);
            }
        }
        if started.len() == OPTIONAL.len() {
            return;
        }
        tokio::time::sleep(REDISCOVER).await;
    }
}

/// The resource of `kind` in `group` at its preferred version, if served.
async fn served(client: &kube::Client, group: &str, kind: &str) -> Option<ApiResource> {
    let g = kube::discovery::group(client, group).await.ok()?;
    let (ar, caps): (ApiResource, ApiCapabilities) = g.recommended_kind(kind)?;
    (caps.scope == Scope::Namespaced).then_some(ar)
}

fn selector() -> watcher::Config {
    watcher::Config::default().labels(&format!("{}={}", MANAGED_BY.0, MANAGED_BY.1))
}

async fn follow<K>(
    api: Api<K>,
    index: Arc<ClusterIndex>,
    kind: Kind,
    summarise: fn(&K) -> Option<Summary>,
) where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let events = watcher::watcher(api, selector()).default_backoff().boxed();
    fold(events, index, kind, summarise).await;
}

async fn follow_dynamic(
    api: Api<DynamicObject>,
    index: Arc<ClusterIndex>,
    kind: Kind,
    summarise: fn(&DynamicObject) -> Option<Summary>,
) {
    let events = watcher::watcher(api, selector()).default_backoff().boxed();
    fold(events, index, kind, summarise).await;
}

/// Folds a watch's events into the index.
async fn fold<K, F>(
    mut events: futures::stream::BoxStream<'static, Result<Event<K>, watcher::Error>>,
    index: Arc<ClusterIndex>,
    kind: Kind,
    summarise: F,
) where
    F: Fn(&K) -> Option<Summary>,
{
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
                index.replace(kind, listing.take().unwrap_or_default());
                index.set_watching(kind, true);
            }
            Ok(Event::Apply(obj)) => {
                if let Some(o) = summarise(&obj) {
                    index.apply(kind, (&o.tenant, &o.namespace, &o.name), Some(o.item));
                }
            }
            Ok(Event::Delete(obj)) => {
                if let Some(o) = summarise(&obj) {
                    index.apply(kind, (&o.tenant, &o.namespace, &o.name), None);
                }
            }
            Err(e) => {
                tracing::warn!(kind = kind.name(), error = %e, "watch interrupted; retrying");
                crate::metrics::metrics().watch_restarted(kind.name());
                index.set_watching(kind, false);
            }
        }
    }
}
