//! Live views: one hub of numbered messages, fed by the database's run and
//! tenant writes and by the cluster index's typed changes, served to
//! browsers as one server-sent-event stream per tab. A pure view: nothing
//! else depends on it being fed.

pub mod hub;
pub mod sse;
pub mod streams;
pub mod topics;

use std::sync::Arc;

use app::dto::{Health, LiveKind, RunDto, RunState, Topic};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::monitoring::{ClusterIndex, IndexChange, Monitor};
use crate::store::{Change, Store};
use hub::Hub;
use streams::Streams;
pub use streams::STREAMS_PER_SESSION;

/// The live side of the console; cheap to clone.
#[derive(Clone)]
pub struct Live {
    hub: Hub,
    monitor: Monitor,
    streams: Arc<Streams>,
}

impl Live {
    /// A hub and its streams over `monitor`'s picture (fed by
    /// [`spawn_feeds`], which `background` starts).
    pub fn new(monitor: Monitor, streams_per_session: usize) -> Live {
        Live {
            hub: Hub::new(),
            monitor,
            streams: Streams::new(streams_per_session),
        }
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// What the cluster looks like (health, pods, quotas…).
    pub fn view(&self) -> &ClusterIndex {
        self.monitor.index()
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// The open streams per session, bounded.
    pub fn streams(&self) -> &Arc<Streams> {
        &self.streams
    }
}

/// Feeds the hub from `store`'s writes (other replicas' arrive through the
/// store too) and from the cluster index's changes.
pub fn spawn_feeds(store: Store, live: Live) {
    tokio::spawn(feed_from_store(store, live.clone()));
    tokio::spawn(feed_from_index(live));
}

fn run_summary(run: &RunDto) -> serde_json::Value {
    let step = run
        .steps
        .iter()
        .find(|s| s.state == app::dto::StepState::Running)
        .map(|s| s.name.clone());
    json!({
        "id": run.id, "tenant_id": run.tenant_id, "operation": run.operation,
        "state": run.state, "step": step,
    })
}

/// Turns each write into messages on the topics that show it.
async fn feed_from_store(store: Store, live: Live) {
    let mut changes = store.changes();
    loop {
        match changes.recv().await {
            Ok(Change::Run(id)) => {
                let Ok(run) = store.get_run(id).await else {
                    continue;
                };
                let data = run_summary(&run);
                live.hub
                    .publish(Topic::Run(id), LiveKind::Run, data.clone());
                live.hub.publish(
                    Topic::Tenant(run.tenant_id.clone()),
                    LiveKind::Run,
                    data.clone(),
                );
                live.hub.publish(Topic::Runs, LiveKind::Run, data.clone());
                if run.state == RunState::Failed {
                    live.hub.publish(Topic::Alerts, LiveKind::Run, data);
                }
            }
            Ok(Change::Tenant(id)) => {
                let data = match store.get_tenant(&id).await {
                    Ok(t) => json!({ "tenant_id": id, "state": t.state }),
                    Err(_) => json!({ "tenant_id": id, "state": null }),
                };
                live.hub
                    .publish(Topic::Tenant(id.clone()), LiveKind::Tenant, data.clone());
                live.hub.publish(Topic::Tenants, LiveKind::Tenant, data);
            }
            Ok(Change::Alert(id)) => {
                let tenant = if id > 0 {
                    store.get_alert(id).await.ok().and_then(|a| a.tenant_id)
                } else {
                    None
                };
                let data = json!({ "alert_id": id, "tenant_id": tenant });
                live.hub
                    .publish(Topic::Alerts, LiveKind::Alert, data.clone());
                if let Some(t) = tenant {
                    live.hub.publish(Topic::Tenant(t), LiveKind::Alert, data);
                }
            }
            Ok(Change::Rollout(id)) => {
                let data = json!({ "rollout_id": id });
                live.hub
                    .publish(Topic::Rollout(id), LiveKind::Rollout, data.clone());
                live.hub.publish(Topic::Rollouts, LiveKind::Rollout, data);
            }
            Ok(Change::Resync) | Err(RecvError::Lagged(_)) => {
                // Writes came faster than this loop, or another replica's
                // were missed: everyone reloads.
                for topic in [Topic::Tenants, Topic::Runs, Topic::Alerts, Topic::Rollouts] {
                    live.hub
                        .publish(topic, LiveKind::Resync, serde_json::Value::Null);
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Turns the index's typed changes into messages on the topics that show
/// them: objects and health on `tenant:<id>`, health on `tenants` (and
/// `alerts` when it turns bad), the watches' state on `tenants` and `alerts`.
async fn feed_from_index(live: Live) {
    let mut changes = live.monitor.index().subscribe();
    let bad =
        |h: Option<Health>| matches!(h, Some(Health::Degraded | Health::Critical | Health::Down));
    loop {
        match changes.recv().await {
            Ok(IndexChange::Object {
                tenant,
                kind,
                name,
                pod,
            }) => {
                live.hub.publish(
                    Topic::Tenant(tenant.clone()),
                    LiveKind::Objects,
                    json!({ "tenant_id": tenant, "kind": kind.name(), "name": name, "pod": pod }),
                );
            }
            Ok(IndexChange::Health {
                tenant,
                from,
                to,
                reason,
                ..
            }) => {
                let data = json!({ "tenant_id": tenant, "health": to, "reason": reason });
                live.hub.publish(
                    Topic::Tenant(tenant.clone()),
                    LiveKind::Health,
                    data.clone(),
                );
                live.hub
                    .publish(Topic::Tenants, LiveKind::Health, data.clone());
                if bad(Some(to)) && !bad(from) {
                    live.hub.publish(Topic::Alerts, LiveKind::Health, data);
                }
            }
            Ok(IndexChange::Watch { connected, .. }) => {
                for topic in [Topic::Tenants, Topic::Alerts] {
                    live.hub
                        .publish(topic, LiveKind::Watch, json!({ "connected": connected }));
                }
            }
            Err(RecvError::Lagged(_)) => {
                for topic in [Topic::Tenants, Topic::Alerts] {
                    live.hub
                        .publish(topic, LiveKind::Resync, serde_json::Value::Null);
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}
