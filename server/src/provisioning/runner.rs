//! The background worker: claims runs that are due (pending ones, and
//! those whose process died: their lease expired), executes their steps in
//! order with bounded concurrency, renews its leases while it works, and
//! records each attempt in the database. Every write is guarded by the
//! claim, so a cancel or another replica's takeover stops it, never the
//! other way round. On shutdown it lets its runs go at once. `queue.rs`
//! claims and holds runs; `execute.rs` runs one; `schedule.rs` starts the
//! tiers' scheduled backups.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{watch, Notify};

mod bounds;
mod execute;
mod queue;
mod schedule;

use crate::cluster::Cluster;
use crate::manifests::RenderSettings;
use crate::monitoring::ClusterIndex;
use crate::store::Store;

#[derive(Clone, Debug)]
pub struct RunnerOptions {
    /// Runs executed at once; one slow tenant never blocks the others.
    pub concurrency: usize,
    /// Attempts per step for transient failures.
    pub max_attempts: i64,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub wait_database: Duration,
    pub wait_application: Duration,
    pub wait_teardown: Duration,
    /// How often the queue is looked at when nothing wakes the runner.
    pub poll_every: Duration,
    /// How long a claim on a run lasts unless renewed (renewed every third
    /// of it); another replica takes a run over once it has expired.
    pub lease: Duration,
    /// This process, as run owner and in step attempts.
    pub process: String,
    /// Copied into each tenant's `backup-store` Secret.
    pub backup_credentials: Option<crate::values::StoreCredentials>,
    /// Days a gone tenant's backups stay catalogued.
    pub backup_keep_days: u32,
    /// The e-mail channel that sends owner messages (the welcome mail when
    /// a tenant is first provisioned); none without it.
    pub owner_channel: Option<String>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            // With the 1 s base this rides out about a minute of API outage.
            max_attempts: 10,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            wait_database: Duration::from_secs(600),
            wait_application: Duration::from_secs(300),
            wait_teardown: Duration::from_secs(300),
            poll_every: Duration::from_secs(5),
            lease: Duration::from_secs(30),
            process: crate::replicas::process_id().to_string(),
            backup_credentials: None,
            backup_keep_days: 30,
            owner_channel: None,
        }
    }
}

/// Exponential backoff with jitter: half to all of base·2^(attempt−1), capped.
pub fn backoff(opts: &RunnerOptions, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let full = opts
        .base_backoff
        .saturating_mul(1 << exp)
        .min(opts.max_backoff);
    full.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

pub struct Runner {
    store: Store,
    cluster: Cluster,
    /// The cluster index the steps' waits read; fed by watches.
    index: Arc<ClusterIndex>,
    settings: RenderSettings,
    opts: RunnerOptions,
    /// The backup store, when its key is configured.
    objects: Option<super::ObjectStore>,
    wake: Notify,
    /// Set to stop: the loop lets its runs go and ends.
    stopping: watch::Sender<bool>,
    /// Turns true once the loop has let its runs go.
    stopped: watch::Sender<bool>,
}

impl Runner {
    /// A runner whose waits read `index`, which must be fed by watches
    /// of `cluster` (the console's monitor, or [`crate::monitoring::watched_index`]).
    pub fn new(
        store: Store,
        cluster: Cluster,
        index: Arc<ClusterIndex>,
        settings: RenderSettings,
        opts: RunnerOptions,
    ) -> Arc<Runner> {
        let objects = opts.backup_credentials.as_ref().and_then(|c| {
            super::ObjectStore::new(&settings, c)
                .map_err(|e| tracing::warn!(error = %e, "backups are unavailable"))
                .ok()
        });
        Arc::new(Runner {
            store,
            cluster,
            index,
            settings,
            opts,
            objects,
            wake: Notify::new(),
            stopping: watch::channel(false).0,
            stopped: watch::channel(false).0,
        })
    }

    /// Looks at the queue now (after a run was created).
    /// What it was started with.
    pub fn options(&self) -> &RunnerOptions {
        &self.opts
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Days a gone tenant's backups stay catalogued.
    pub fn backup_keep_days(&self) -> u32 {
        self.opts.backup_keep_days
    }

    /// The e-mail channel that writes to tenants' owners, if any.
    pub fn owner_channel(&self) -> Option<&str> {
        self.opts.owner_channel.as_deref()
    }

    /// This process's name as the owner of runs.
    pub fn process(&self) -> &str {
        &self.opts.process
    }

    /// The backup store, when its key is configured.
    pub fn objects(&self) -> Option<&super::ObjectStore> {
        self.objects.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let opts = RunnerOptions {
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            ..Default::default()
        };
        for attempt in 1..=8 {
            let d = backoff(&opts, attempt);
            let full = Duration::from_secs(1 << (attempt - 1)).min(Duration::from_secs(10));
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}
