//! The background worker: picks up every unfinished run (also those a
//! killed process left "running"), executes their steps in order with
//! bounded concurrency, and records each attempt in the database.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use app::dto::{Operation, RunDto, RunState, StepState, TenantDto, TenantState, TierSpec};
use rand::Rng;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::steps::{execute, remove_namespace, StepContext, StepOutcome};
use super::Step;
use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::manifests::{backup_job, render, RenderSettings, TenantInput};
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
    settings: RenderSettings,
    opts: RunnerOptions,
    wake: Notify,
}

fn state_during(op: Operation) -> Option<TenantState> {
    match op {
        Operation::Provision | Operation::Update => Some(TenantState::Provisioning),
        Operation::Deprovision | Operation::Cleanup => Some(TenantState::Deprovisioning),
        Operation::Suspend | Operation::Resume => None,
    }
}

fn state_after(op: Operation, warned: bool) -> TenantState {
    match op {
        Operation::Provision | Operation::Update | Operation::Resume if warned => {
            TenantState::Degraded
        }
        Operation::Provision | Operation::Update | Operation::Resume => TenantState::Active,
        Operation::Suspend => TenantState::Suspended,
        Operation::Deprovision => TenantState::Deprovisioned,
        Operation::Cleanup => TenantState::Pending,
    }
}

/// Where a tenant stands after a run was cancelled, from what it had done.
pub fn state_after_cancel(run: &RunDto) -> TenantState {
    let done = |name: &str| {
        run.steps
            .iter()
            .any(|s| s.name == name && s.state == StepState::Completed)
    };
    let any_done = run.steps.iter().any(|s| s.state == StepState::Completed);
    match run.operation {
        Operation::Provision if !any_done => TenantState::Pending,
        Operation::Provision | Operation::Cleanup => TenantState::Failed,
        Operation::Update => TenantState::Degraded,
        Operation::Suspend if any_done => TenantState::Suspended,
        Operation::Suspend => TenantState::Active,
        Operation::Resume if any_done => TenantState::Degraded,
        Operation::Resume => TenantState::Suspended,
        Operation::Deprovision if done(Step::SuspendWorkloads.name()) => TenantState::Suspended,
        Operation::Deprovision => TenantState::Active,
    }
}

/// Records the tenant's state after `run` was cancelled.
pub async fn settle_after_cancel(store: &Store, run: &RunDto) -> Result<()> {
    store
        .observe_tenant(
            &run.tenant_id,
            state_after_cancel(run),
            Some("the last run was cancelled"),
            &[],
        )
        .await?;
    Ok(())
}

/// A tenant's replica overrides replace the tier's.
fn apply_overrides(tier: &mut TierSpec, tenant: &TenantDto) {
    let fit = |n: i64| u32::try_from(n).unwrap_or(1).max(1);
    if let Some(n) = tenant.api_replicas {
        tier.api_replicas = fit(n);
    }
    if let Some(n) = tenant.web_replicas {
        tier.web_replicas = fit(n);
    }
}

impl Runner {
    pub fn new(
        store: Store,
        cluster: Cluster,
        settings: RenderSettings,
        opts: RunnerOptions,
    ) -> Arc<Runner> {
        Arc::new(Runner {
            store,
            cluster,
            settings,
            opts,
            wake: Notify::new(),
        })
    }

    /// Looks at the queue now (after a run was created).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until the returned task is aborted; aborting it also aborts every
    /// run in flight, as a killed process would.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move { me.work().await })
    }

    async fn work(self: Arc<Self>) {
        let slots = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let mut active: HashSet<i64> = HashSet::new();
        let mut tasks: JoinSet<i64> = JoinSet::new();
        loop {
            while let Some(done) = tasks.try_join_next() {
                if let Ok(id) = done {
                    active.remove(&id);
                }
            }
            match self.store.unfinished_runs().await {
                Ok(ids) => {
                    for id in ids {
                        if !active.insert(id) {
                            continue;
                        }
                        let (me, slots) = (Arc::clone(&self), Arc::clone(&slots));
                        tasks.spawn(async move {
                            if let Ok(_permit) = slots.acquire_owned().await {
                                if let Err(e) = me.execute(id).await {
                                    tracing::error!(run = id, error = %e, "run stopped on an internal error; it is retried");
                                    tokio::time::sleep(me.opts.base_backoff).await;
                                }
                            }
                            id
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read the run queue"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.opts.poll_every) => {}
                Some(Ok(id)) = tasks.join_next(), if !tasks.is_empty() => { active.remove(&id); }
            }
        }
    }

    /// Executes one run from its first unfinished step.
    pub async fn execute(&self, id: i64) -> Result<()> {
        let run = self.store.get_run(id).await?;
        if run.state.is_finished() {
            return Ok(());
        }
        self.store.set_run_state(id, RunState::Running).await?;
        let tenant = self.store.get_tenant(&run.tenant_id).await?;
        let (key, mut tier) = self
            .store
            .tenant_tier(tenant.template_id, tenant.template_version)
            .await?;
        apply_overrides(&mut tier, &tenant);
        let input = TenantInput {
            id: &tenant.id,
            namespace: &tenant.namespace,
            custom_domain: tenant.custom_domain.as_deref(),
            template_key: &key,
            template_version: tenant.template_version,
            tier: &tier,
        };
        let manifests = render(&input, &self.settings, &self.cluster.caps);
        let backup = backup_job(&input, &self.settings, &self.cluster.caps, id);
        let namespace = tenant.namespace.clone();
        if let Some(s) = state_during(run.operation) {
            self.store.set_tenant_state(&tenant.id, s).await?;
        }
        let mut warned = run
            .steps
            .iter()
            .any(|s| s.state == StepState::Completed && s.last_error.is_some());
        for step in run
            .steps
            .iter()
            .filter(|s| matches!(s.state, StepState::Pending | StepState::Running))
        {
            let kind = Step::parse(&step.name).ok_or_else(|| {
                ServerError::Config(format!("run {id} has an unknown step \"{}\"", step.name))
            })?;
            loop {
                if self.store.get_run(id).await?.state == RunState::Cancelled {
                    return self.stopped_by_cancel(id, step.position).await;
                }
                let (attempt, first_start) = self.store.start_step(id, step.position).await?;
                let ctx = StepContext {
                    cluster: &self.cluster,
                    store: &self.store,
                    tenant_id: &tenant.id,
                    actor: &run.requested_by,
                    options: &run.options,
                    manifests: &manifests,
                    backup_job: &backup,
                    namespace: &namespace,
                    step_started_at: first_start,
                    now: crate::store::now_ms(),
                    wait_database: self.opts.wait_database,
                    wait_application: self.opts.wait_application,
                    wait_teardown: self.opts.wait_teardown,
                };
                let outcome = tokio::select! {
                    r = execute(kind, &ctx) => r,
                    () = self.cancelled(id) => {
                        return self.stopped_by_cancel(id, step.position).await;
                    }
                };
                match outcome {
                    Ok(StepOutcome::Done(line)) => {
                        self.store
                            .finish_step(id, step.position, StepState::Completed, None, &line)
                            .await?;
                        break;
                    }
                    Ok(StepOutcome::Warn(reason)) => {
                        warned = true;
                        let line = format!("warning: {reason}");
                        self.store
                            .finish_step(
                                id,
                                step.position,
                                StepState::Completed,
                                Some(&reason),
                                &line,
                            )
                            .await?;
                        break;
                    }
                    Ok(StepOutcome::Later(until)) => {
                        let line =
                            format!("waiting until {} (UTC)", crate::store::format_ms(until));
                        if attempt == 1 {
                            self.store
                                .finish_step(id, step.position, StepState::Pending, None, &line)
                                .await?;
                        } else {
                            self.store.pause_step(id, step.position).await?;
                        }
                        self.store.defer_run(id, until).await?;
                        return Ok(());
                    }
                    Err(e) if e.is_transient() && attempt < self.opts.max_attempts => {
                        let delay = backoff(&self.opts, attempt);
                        let line = format!(
                            "attempt {attempt} failed: {e}; retrying in {:.1}s",
                            delay.as_secs_f64()
                        );
                        tracing::warn!(run = id, step = %step.name, error = %e, "transient failure; retrying");
                        self.store
                            .finish_step(
                                id,
                                step.position,
                                StepState::Pending,
                                Some(&e.to_string()),
                                &line,
                            )
                            .await?;
                        tokio::time::sleep(delay).await;
                    }
                    Err(e) => {
                        return self
                            .fail(
                                id,
                                run.operation,
                                &tenant.id,
                                &namespace,
                                kind,
                                step.position,
                                attempt,
                                e,
                            )
                            .await;
                    }
                }
            }
        }
        let last_warning = self
            .store
            .get_run(id)
            .await?
            .steps
            .into_iter()
            .filter(|s| s.state == StepState::Completed)
            .filter_map(|s| s.last_error)
            .next_back();
        self.store
            .observe_tenant(
                &tenant.id,
                state_after(run.operation, warned),
                last_warning.as_deref().filter(|_| warned),
                &[],
            )
            .await?;
        // The tenant is settled before the run reads as finished, so
        // whoever sees the run end also sees the tenant's new state.
        self.store.set_run_state(id, RunState::Completed).await?;
        Ok(())
    }

    /// Resolves when staff cancel the run (checked once a second, so a
    /// cancel from another process or replica is seen too).
    async fn cancelled(&self, id: i64) {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if matches!(self.store.get_run(id).await, Ok(r) if r.state == RunState::Cancelled) {
                return;
            }
        }
    }

    /// Marks the interrupted step cancelled and settles the tenant's state.
    async fn stopped_by_cancel(&self, id: i64, position: i64) -> Result<()> {
        self.store
            .finish_step(
                id,
                position,
                StepState::Cancelled,
                None,
                "cancelled by staff",
            )
            .await?;
        settle_after_cancel(&self.store, &self.store.get_run(id).await?).await
    }

    /// Records a failed step and run. A provisioning run whose database never
    /// became ready is cleaned up, as in the earlier system: nothing half-made
    /// stays behind.
    #[allow(clippy::too_many_arguments)]
    async fn fail(
        &self,
        id: i64,
        op: Operation,
        tenant: &str,
        ns: &str,
        step: Step,
        position: i64,
        attempt: i64,
        e: ServerError,
    ) -> Result<()> {
        let cause = e.to_string();
        tracing::warn!(run = id, step = step.name(), error = %cause, "step failed");
        let line = format!("attempt {attempt} failed: {cause}");
        self.store
            .finish_step(id, position, StepState::Failed, Some(&cause), &line)
            .await?;
        if op == Operation::Provision && step == Step::WaitDatabase {
            let cleaned = match remove_namespace(
                &self.cluster,
                &self.store,
                (tenant, ns),
                false,
                self.opts.wait_teardown,
            )
            .await
            {
                Ok(_) => {
                    // Nothing of the earlier steps is left: a retry
                    // starts again from the first step.
                    self.store.restart_steps(id).await?;
                    format!(
                        "cleaned up: namespace {ns} removed; a retry starts from the first step"
                    )
                }
                Err(err) => format!("cleanup failed: {err}"),
            };
            self.store
                .finish_step(id, position, StepState::Failed, None, &cleaned)
                .await?;
        }
        self.store
            .observe_tenant(
                tenant,
                TenantState::Failed,
                Some(&format!("{} failed: {cause}", step.name())),
                &[],
            )
            .await?;
        self.store.set_run_state(id, RunState::Failed).await?;
        Ok(())
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

    #[test]
    fn tenant_states_follow_operations() {
        assert_eq!(
            state_after(Operation::Provision, false),
            TenantState::Active
        );
        assert_eq!(
            state_after(Operation::Provision, true),
            TenantState::Degraded
        );
        assert_eq!(
            state_after(Operation::Suspend, false),
            TenantState::Suspended
        );
        assert_eq!(
            state_after(Operation::Deprovision, false),
            TenantState::Deprovisioned
        );
        assert_eq!(
            state_during(Operation::Deprovision),
            Some(TenantState::Deprovisioning)
        );
    }
}
