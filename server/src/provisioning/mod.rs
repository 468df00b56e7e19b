//! The provisioning engine: each operation is a durable run of idempotent
//! steps (planned in `plan`, executed in `steps`), driven by the `runner`,
//! which resumes unfinished runs after a restart and retries what is
//! transient with exponential backoff and jitter.

mod plan;
mod runner;
mod steps;

pub use plan::{plan, Step};
pub use runner::{Runner, RunnerOptions};
pub use steps::StepOutcome;
