//! Everything the console runs in the background, started here and only
//! here: read this file to know what runs, and on which replica. Each
//! loop's body lives with its capability; this file only starts them.
//!
//! | loop | replicas | what it does |
//! | --- | --- | --- |
//! | cluster watches | every one | fold Tenantry's objects into the index, once a cluster is connected (`monitoring::watch`) |
//! | tenant states | every one | load who the tenants are into the index and follow their changes (`monitoring::states`) |
//! | live feeds | every one | turn database writes and index changes into stream messages (`live`) |
//! | fan-out | every one (PostgreSQL) | tell the other replicas of this one's writes, hear theirs (`replicas::fanout`) |
//! | session sweep | every one | delete expired sessions every 10 minutes |
//! | runner | every one | claim and execute runs once the cluster answers (`provisioning::runner`) |
//! | state follower | the leader | write tenant states and health history from the index (`monitoring::follow`) |
//! | alert evaluator | the leader | evaluate the rules on index changes and every 5 minutes (`alerts::evaluate`) |
//! | deliverer | the leader | deliver the notification outbox (`alerts::deliver`) |
//! | access backfill | the leader | bind the console in tenant namespaces; let go stuck bindings (`provisioning::access`) |
//! | backup catalogue | the leader | start scheduled backups (every 15 s), record backup Jobs as the index sees them finish, expire old rows (`provisioning::backups`) |
//! | domain checks | the leader | ask DNS again every minute about custom domains it holds back (`domains`) |
//! | key overlaps | the leader | end API key rotations' overlaps when due, every 15 s, and write the tenants' hashes (`provisioning::api_keys`) |
//! | rollouts | the leader | move each running rollout on every second: follow its wave's runs, start the next tenants, soak, the next wave (`rollouts`) |
//! | retention | the leader | prune old runs and audit events hourly, when configured (`store::retention`) |
//!
//! The leader's loops run on every replica but act only while it leads
//! (`replicas::Leadership`); SQLite's one process always leads.

use std::sync::Arc;
use std::time::Duration;

use crate::cluster::Cluster;
use crate::config::EngineArgs;
use crate::console::ConsoleService;
use crate::manifests::RenderSettings;
use crate::monitoring::ClusterIndex;
use crate::provisioning::{Engine, EngineSlot, Runner};
use crate::replicas::Leadership;
use crate::store::Store;

/// How often expired sessions are deleted.
const SESSION_SWEEP: Duration = Duration::from_secs(600);

/// Days after which runs and audit events are pruned (`None`: kept).
#[derive(Clone, Copy, Debug, Default)]
pub struct Retention {
    pub runs_days: Option<u32>,
    pub audit_days: Option<u32>,
}

/// How often the leader looks at each running rollout.
const ROLLOUT_LOOK: std::time::Duration = std::time::Duration::from_secs(1);

/// Starts every loop of one replica but the runner (which needs its
/// cluster: [`start_runner`]). Without a tokio runtime (plain
/// unit tests) nothing starts.
pub fn start(console: &Arc<ConsoleService>, leadership: &Leadership, retention: Retention) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    every_replica(console);
    leader_only(console, leadership, retention);
    crate::rollouts::spawn(Arc::clone(console), leadership.clone(), ROLLOUT_LOOK);
}

/// What each replica runs for itself.
fn every_replica(console: &ConsoleService) {
    let store = console.store().clone();
    let live = console.live();
    let index = Arc::clone(live.monitor().index());
    crate::monitoring::watch_when_connected(console.engine_slot().clone(), Arc::clone(&index));
    crate::monitoring::spawn_state_loader(store.clone(), index);
    crate::live::spawn_feeds(store.clone(), live.clone());
    crate::replicas::start_fanout(&store);
    tokio::spawn(async move {
        use tower_sessions::session_store::ExpiredDeletion;
        let sessions = crate::store::SessionStore::new(store);
        let mut every = tokio::time::interval(SESSION_SWEEP);
        loop {
            every.tick().await;
            if let Err(e) = sessions.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });
}

/// What only the leader does (each loop waits for the lead itself).
fn leader_only(console: &ConsoleService, leadership: &Leadership, retention: Retention) {
    let store = console.store().clone();
    let engine = console.engine_slot().clone();
    crate::monitoring::spawn_state_follower(
        console.live().monitor(),
        store.clone(),
        leadership.clone(),
    );
    crate::alerts::spawn_evaluator(console.evaluator(), leadership.clone());
    crate::alerts::spawn_deliverer(console.deliverer(), leadership.clone());
    crate::provisioning::access::spawn_backfill(store.clone(), engine.clone(), leadership.clone());
    crate::domains::spawn_rechecks(store.clone(), console.dns(), leadership.clone());
    crate::provisioning::api_keys::spawn_overlap_ender(
        store.clone(),
        engine.clone(),
        leadership.clone(),
    );
    let index = Arc::clone(console.live().monitor().index());
    crate::provisioning::backups::spawn_sweeper(store.clone(), engine, index, leadership.clone());
    crate::store::spawn_retention(
        store,
        (retention.runs_days, retention.audit_days),
        leadership.clone(),
    );
}

/// Connects to the cluster (retrying until it answers), fills the engine
/// slot and starts the runner, which resumes unfinished runs (the index's
/// watches start once the slot is filled).
pub fn start_runner(
    store: Store,
    args: EngineArgs,
    settings: RenderSettings,
    slot_and_index: (EngineSlot, Arc<ClusterIndex>),
) {
    tokio::spawn(connect_engine(store, args, settings, slot_and_index));
}

async fn connect_engine(
    store: Store,
    args: EngineArgs,
    settings: RenderSettings,
    (slot, index): (EngineSlot, Arc<ClusterIndex>),
) {
    let cluster = connect(&args).await;
    tracing::info!(cnpg = cluster.caps.cnpg, hpa = ?cluster.caps.hpa, "connected to Kubernetes");
    let runner = Runner::new(
        store.clone(),
        cluster.clone(),
        index,
        settings.clone(),
        args.runner_options(),
    );
    runner.spawn();
    let _ = slot.set(Engine {
        cluster,
        settings,
        runner,
    });
}

/// The cluster, once it answers (retrying with backoff up to 30 s apart).
pub async fn connect(args: &EngineArgs) -> Cluster {
    let mut delay = Duration::from_secs(1);
    loop {
        let path = if args.in_cluster {
            None
        } else {
            args.kubeconfig.as_deref()
        };
        match Cluster::connect(path).await {
            Ok(mut c) => {
                // Checked when the console started.
                c.access = args.tenant_access().unwrap_or_default();
                return c;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?delay, "cannot reach the Kubernetes API yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}
