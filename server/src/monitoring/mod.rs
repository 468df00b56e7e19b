//! One picture of the cluster. Label-selected watches over Tenantry's
//! objects (pods, Deployments, StatefulSets, Jobs, claims, quotas, and
//! CloudNativePG clusters and cert-manager certificates where the cluster
//! serves them) fold into one [`ClusterIndex`], which derives each tenant's
//! health and tells typed [`IndexChange`]s to its followers: the live
//! stream, the tenant states (written by the leader, only on a change) and
//! the alert evaluator. Nothing lists on a timer.

mod follow;
pub mod index;
pub mod ready;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

pub use follow::spawn_state_follower;
pub use index::{ClusterIndex, HealthNow, IndexChange, Kind, TenantSnapshot, WatchStatus};
pub use ready::{Target, Verdict};

use crate::provisioning::EngineSlot;

/// An index fed by its own watches of `client`: for a runner without a
/// console (tests, tools). A console's runner shares the console's.
pub fn watched_index(client: &kube::Client) -> Arc<ClusterIndex> {
    let index = Arc::new(ClusterIndex::new());
    watch::spawn_watches(client.clone(), Arc::clone(&index));
    index
}

/// The index, fed once a cluster is connected.
#[derive(Clone)]
pub struct Monitor {
    index: Arc<ClusterIndex>,
}

impl Monitor {
    /// An index, and its watches started as soon as `engine` has a
    /// cluster. Without a tokio runtime (plain unit tests) nothing is fed.
    pub fn start(engine: EngineSlot) -> Monitor {
        let index = Arc::new(ClusterIndex::new());
        if tokio::runtime::Handle::try_current().is_ok() {
            let feed = Arc::clone(&index);
            tokio::spawn(async move {
                loop {
                    if let Some(e) = engine.get() {
                        watch::spawn_watches(e.cluster.client.clone(), feed);
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            });
        }
        Monitor { index }
    }

    pub fn index(&self) -> &Arc<ClusterIndex> {
        &self.index
    }
}
