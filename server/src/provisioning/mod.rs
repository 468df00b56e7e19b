//! The provisioning engine: each operation is a durable run of idempotent
//! steps (which ones: `app::domain::steps`; what each does: `steps/`),
//! driven by the `runner` (`queue.rs` claims and leases, `execute.rs` one
//! run), which resumes unfinished runs after a restart and retries what is
//! transient with exponential backoff and jitter. `desired` is what a
//! tenant should be (its objects and Jobs); `preview` compares it with the
//! live objects; `backups` keeps the catalogue; `access` binds the console
//! in tenant namespaces. Where a tenant stands is `app::domain::tenant_state`.

pub mod access;
pub mod api_keys;
pub mod backups;
pub mod desired;
mod object_store;
mod preview;
mod runner;
mod steps;
mod tenant_state;

use std::sync::{Arc, OnceLock};

pub use app::domain::steps::{plan, RunShape, Step, StepKind};
pub use app::domain::tenant_state::state_after_cancel;
pub use desired::TenantPlan;
pub use object_store::ObjectStore;
pub use preview::{compare, diff_with_live};
pub use runner::{Runner, RunnerOptions};
pub use steps::StepOutcome;
pub use tenant_state::settle_after_cancel;

use crate::cluster::Cluster;
use crate::manifests::RenderSettings;

/// The tenant's plan and the steps `op` started with `options` takes for
/// it: a wait per component of its release, the release's jobs by phase,
/// the once-only jobs it has not run yet. Every run is recorded with these.
pub async fn steps_for(
    store: &crate::store::Store,
    t: &app::dto::TenantDto,
    op: app::dto::Operation,
    options: &app::dto::RunOptions,
) -> crate::error::Result<(TenantPlan, Vec<Step>)> {
    let tenant_plan = TenantPlan::of(store, t).await?;
    let done = store.jobs_done(&t.id).await?;
    let shape = RunShape {
        release: &tenant_plan.release,
        done: &done,
    };
    let steps = plan(op, options, shape);
    Ok((tenant_plan, steps))
}

/// A connected cluster with its runner: what operations need.
#[derive(Clone)]
pub struct Engine {
    pub cluster: Cluster,
    pub settings: RenderSettings,
    pub runner: Arc<Runner>,
}

/// The connection handle: filled once the cluster is reachable; until then
/// operations answer "unavailable" while the rest of the console works.
/// Work that needs the cluster waits for it with [`EngineSlot::connected`]
/// instead of looking again on a timer.
#[derive(Clone)]
pub struct EngineSlot {
    engine: Arc<OnceLock<Engine>>,
    filled: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for EngineSlot {
    fn default() -> Self {
        Self {
            engine: Arc::default(),
            filled: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }
}

impl EngineSlot {
    /// The engine, when the cluster is connected.
    pub fn get(&self) -> Option<&Engine> {
        self.engine.get()
    }

    /// Fills the slot, once: false when it was already filled.
    pub fn set(&self, engine: Engine) -> bool {
        let set = self.engine.set(engine).is_ok();
        self.filled.send_replace(true);
        set
    }

    /// The engine, as soon as the cluster is connected.
    pub async fn connected(&self) -> Engine {
        let mut filled = self.filled.subscribe();
        loop {
            if let Some(e) = self.engine.get() {
                return e.clone();
            }
            // The sender lives as long as this slot, so this waits for `set`.
            if filled.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
