//! The provisioning engine: each operation is a durable run of idempotent
//! steps (planned in `plan`, executed in `steps`), driven by the `runner`,
//! which resumes unfinished runs after a restart and retries what is
//! transient with exponential backoff and jitter. `preview` computes
//! dry-runs. (Tenant states between runs follow the cluster index: see
//! `monitoring`.)

pub mod access;
pub mod backups;
pub mod desired;
mod object_store;
mod plan;
mod preview;
mod runner;
mod steps;
mod tenant_state;

use std::sync::{Arc, OnceLock};

pub use desired::TenantPlan;
pub use object_store::ObjectStore;
pub use plan::{plan, Step};
pub use preview::{compare, diff_with_live};
pub use runner::{Runner, RunnerOptions};
pub use steps::StepOutcome;
pub use tenant_state::{settle_after_cancel, state_after_cancel};

use crate::cluster::Cluster;
use crate::manifests::RenderSettings;

/// A connected cluster with its runner: what operations need.
#[derive(Clone)]
pub struct Engine {
    pub cluster: Cluster,
    pub settings: RenderSettings,
    pub runner: Arc<Runner>,
}

/// Filled once the cluster is reachable; until then operations answer
/// "unavailable" while the rest of the console works.
pub type EngineSlot = Arc<OnceLock<Engine>>;
