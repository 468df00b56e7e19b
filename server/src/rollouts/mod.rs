//! Rollouts in waves, driven by the leader (`driver`); planned, started
//! and steered from the console (`console/rollouts.rs`).

mod driver;

pub use driver::{drive, spawn};
