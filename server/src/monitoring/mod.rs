//! One picture of the cluster. Label-selected watches over Tenantry's
//! objects (pods, Deployments, StatefulSets, Jobs, claims, quotas, and
//! CloudNativePG clusters and cert-manager certificates where the cluster
//! serves them) fold into one [`ClusterIndex`], which derives each tenant's
//! health and tells typed [`IndexChange`]s to its followers: the live
//! stream, the tenant states (written by the leader, only on a change) and
//! the alert evaluator. Who the tenants are comes from the database
//! (`states`). Nothing lists on a timer.

mod follow;
pub mod index;
pub mod ready;
mod states;
pub mod watch;

use std::sync::Arc;

pub use follow::spawn_state_follower;
pub use index::{ClusterIndex, HealthNow, IndexChange, Kind, TenantSnapshot, WatchStatus};
pub use ready::{Target, Verdict};
pub use states::spawn_state_loader;

use crate::provisioning::EngineSlot;

/// An index fed by its own watches of `client`: for a runner without a
/// console (tests, tools). A console's runner shares the console's.
pub fn watched_index(client: &kube::Client) -> Arc<ClusterIndex> {
    let index = Arc::new(ClusterIndex::new());
    watch::spawn_watches(client.clone(), Arc::clone(&index));
    index
}

/// Starts the watches that feed `index` as soon as `engine` has a
/// cluster.
pub fn watch_when_connected(engine: EngineSlot, index: Arc<ClusterIndex>) {
    tokio::spawn(async move {
        let e = engine.connected().await;
        watch::spawn_watches(e.cluster.client.clone(), index);
    });
}

/// The console's picture of the cluster (fed by `background`).
#[derive(Clone, Default)]
pub struct Monitor {
    index: Arc<ClusterIndex>,
}

impl Monitor {
    pub fn new() -> Monitor {
        Monitor::default()
    }

    pub fn index(&self) -> &Arc<ClusterIndex> {
        &self.index
    }
}
