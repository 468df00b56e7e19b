//! The queue: claims runs that are due, up to the concurrency, holds their
//! leases while they execute, and lets them go on shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::{AbortHandle, JoinSet};

use super::Runner;
use crate::error::ServerError;
use crate::store::Backend;

impl Runner {
    /// Runs until the returned task is aborted (as a killed process would
    /// stop: its leases then expire) or [`Runner::shutdown`] is called.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move { me.work().await })
    }

    /// Stops claiming, interrupts the runs in flight and lets them go at
    /// once (so another replica resumes them without waiting for a lease to
    /// expire); returns when done or after `wait`.
    pub async fn shutdown(&self, wait: Duration) {
        let mut stopped = self.stopped.subscribe();
        self.stopping.send_replace(true);
        let _ = tokio::time::timeout(wait, stopped.wait_for(|s| *s)).await;
    }

    async fn work(self: Arc<Self>) {
        if self.store.backend() == Backend::Sqlite {
            // One process per SQLite file: whatever it held before it died
            // is its own again, at once.
            if let Err(e) = self.store.release_all_runs().await {
                tracing::error!(error = %e, "cannot reclaim unfinished runs");
            }
        }
        let mut tasks: JoinSet<i64> = JoinSet::new();
        let mut held: HashMap<i64, AbortHandle> = HashMap::new();
        let mut stopping = self.stopping.subscribe();
        let mut heartbeat = tokio::time::interval(self.opts.lease / 3);
        let mut renewed = Instant::now();
        loop {
            while let Some(done) = tasks.try_join_next() {
                if let Ok(id) = done {
                    held.remove(&id);
                }
            }
            while tasks.len() < self.opts.concurrency.max(1) {
                match self
                    .store
                    .claim_run(&self.opts.process, self.opts.lease)
                    .await
                {
                    Ok(Some(id)) => {
                        let me = Arc::clone(&self);
                        let handle = tasks.spawn(async move {
                            if let Err(e) = me.execute(id).await {
                                match e {
                                    ServerError::LeaseLost(why) => {
                                        tracing::info!(run = id, "{why}; stopping")
                                    }
                                    e => {
                                        tracing::error!(run = id, error = %e, "run stopped on an internal error; it is retried");
                                        tokio::time::sleep(me.opts.base_backoff).await;
                                    }
                                }
                            }
                            id
                        });
                        held.insert(id, handle);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot claim runs");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.opts.poll_every) => {}
                Some(Ok(id)) = tasks.join_next(), if !tasks.is_empty() => { held.remove(&id); }
                _ = heartbeat.tick() => self.renew(&mut held, &mut renewed).await,
                _ = stopping.changed() => {
                    if *stopping.borrow() {
                        break;
                    }
                }
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        match self.store.release_runs(&self.opts.process).await {
            Ok(n) => tracing::info!(runs = n, "runs let go for another replica"),
            Err(e) => tracing::error!(error = %e, "could not let runs go; their leases expire"),
        }
        self.stopped.send_replace(true);
    }

    /// Renews the leases; a run no longer held here is interrupted, and if
    /// the database has not answered for most of a lease, every run is (its
    /// lease may be gone, and another replica may take it).
    async fn renew(&self, held: &mut HashMap<i64, AbortHandle>, renewed: &mut Instant) {
        match self
            .store
            .renew_leases(&self.opts.process, self.opts.lease)
            .await
        {
            Ok(ids) => {
                *renewed = Instant::now();
                held.retain(|id, task| {
                    let keep = ids.contains(id) || task.is_finished();
                    if !keep {
                        tracing::warn!(run = id, "lease lost to another process; interrupting");
                        task.abort();
                    }
                    keep
                });
            }
            Err(e) if renewed.elapsed() > self.opts.lease * 2 / 3 => {
                tracing::error!(error = %e, "leases cannot be renewed; interrupting every run");
                for task in held.values() {
                    task.abort();
                }
                held.clear();
            }
            Err(e) => tracing::warn!(error = %e, "leases not renewed yet"),
        }
    }
}
