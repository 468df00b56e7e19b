//! One run, executed: it reads its run and tenant once, renders what the
//! tenant should be, then takes each unfinished step in order, recording
//! every attempt under the claim (a lost claim stops it at once).

use std::time::Duration;

use app::dto::{AttemptOutcome, BackupMethod, Operation, RunDto, RunState, StepState};
use tracing::Instrument;

use super::super::desired::TenantPlan;
use super::super::steps::{execute, remove_namespace, StepContext, StepOutcome};
use super::super::{Step, StepKind};
use super::bounds::{run_deadline, until};
use super::{backoff, Runner};
use crate::error::{Result, ServerError};
use crate::store::{Failure, Rollback};
use app::domain::tenant_state::{
    state_after, state_after_cancel, state_after_failure, state_during,
};

/// An attempt's outcome as the step histogram labels it.
fn step_outcome(outcome: &Result<StepOutcome>, may_retry: bool) -> &'static str {
    match outcome {
        Ok(StepOutcome::Done(_)) => "completed",
        Ok(StepOutcome::Warn(_)) => "warned",
        Ok(StepOutcome::Later(_)) => "deferred",
        Ok(StepOutcome::Again(_)) => "retrying",
        Err(e) if e.is_transient() && may_retry => "retrying",
        Err(_) => "failed",
    }
}

/// What to do after one step ran.
enum Next {
    /// On to the next step.
    Step,
    /// The run is finished with (failed, deferred, cancelled or lost).
    Stop,
}

impl Runner {
    /// Executes one run this process has claimed, from its first unfinished
    /// step.
    /// Executes a run it holds, in one tracing span (run id, tenant,
    /// operation), counting its start and, once it ended, its outcome.
    pub async fn execute(&self, id: i64) -> Result<()> {
        let run = self.store.get_run(id).await?;
        let span = tracing::info_span!(
            "run",
            run.id = id,
            tenant = %run.tenant_id,
            operation = %run.operation
        );
        let m = crate::metrics::metrics();
        m.run_started(run.operation);
        let result = self.execute_run(run).instrument(span).await;
        if let Ok(after) = self.store.get_run(id).await {
            if matches!(
                after.state,
                RunState::Completed | RunState::Failed | RunState::Cancelled
            ) {
                m.run_finished(after.operation, after.state);
            }
        }
        result
    }

    async fn execute_run(&self, run: RunDto) -> Result<()> {
        let id = run.id;
        let me = self.opts.process.as_str();
        if let Err(state) = self.store.holds(id, me).await? {
            return Err(ServerError::LeaseLost(format!(
                "run {id} is {state}, not held here"
            )));
        }
        if let Some(failed) = run.steps.iter().find(|s| s.state == StepState::Failed) {
            // A failed step is never skipped: the run fails until it is retried.
            let cause = failed
                .last_error
                .clone()
                .unwrap_or_else(|| "failed earlier".into());
            let line =
                "the run was resumed with this step failed: retry the step or recover the run";
            let detail = format!("{} failed: {cause}", failed.name);
            return self
                .store
                .fail_run(
                    id,
                    me,
                    Failure {
                        position: failed.position,
                        cause: &cause,
                        line,
                        rollback: None,
                        tenant: state_after_failure(run.operation).map(|s| (s, detail.as_str())),
                    },
                )
                .await;
        }
        let tenant = self.store.get_tenant(&run.tenant_id).await?;
        let plan = TenantPlan::of(&self.store, &tenant).await?;
        let desired = plan.desired_of(&tenant, &self.settings, &self.cluster.caps);
        let manifests = desired.objects();
        let jobs = desired.phase_jobs();
        let health = desired.health();
        let deadline = run_deadline(run.operation, &plan.tier);
        let puts_back = run.options.restores(run.operation);
        let method = match run.operation {
            Operation::Deprovision => BackupMethod::PreDeprovision,
            _ if puts_back.is_some() => BackupMethod::PreRestore,
            Operation::Update => BackupMethod::PreMigrate,
            _ => BackupMethod::OnDemand,
        };
        let backup = desired.backup_job(id, method);
        let restore = match puts_back {
            Some(b) => Some(desired.restore_job(id, &self.store.get_backup(b).await?)),
            _ => None,
        };
        if let Some(s) = state_during(run.operation) {
            self.store.tenant_during_run(id, me, s).await?;
        }
        let mut warned = run
            .steps
            .iter()
            .any(|s| s.state == StepState::Completed && s.last_error.is_some());
        let ctx = |first_start: i64, rollout_warned: bool| StepContext {
            cluster: &self.cluster,
            index: &self.index,
            store: &self.store,
            tenant_id: &tenant.id,
            actor: &run.requested_by,
            options: &run.options,
            manifests: &manifests,
            jobs: &jobs,
            health: &health,
            rollout_warned,
            backup_job: &backup,
            restore_job: restore.as_ref(),
            store_credentials: self.opts.backup_credentials.as_ref(),
            objects: self.objects.as_ref(),
            run_id: id,
            owner: me,
            custom_domain: tenant.domain_to_serve(),
            operation: run.operation,
            namespace: &tenant.namespace,
            step_started_at: first_start,
            now: crate::store::now_ms(),
            wait_database: self.opts.wait_database,
            wait_application: self.opts.wait_application,
            wait_teardown: self.opts.wait_teardown,
        };
        for step in run
            .steps
            .iter()
            .filter(|s| matches!(s.state, StepState::Pending | StepState::Running))
        {
            let kind = Step::parse(&step.name).ok_or_else(|| {
                ServerError::Config(format!("run {id} has an unknown step \"{}\"", step.name))
            })?;
            loop {
                if let Err(state) = self.store.holds(id, me).await? {
                    return self.stopped_by(id, step.position, state).await;
                }
                let (attempt, first_start) = self.store.start_step(id, step.position, me).await?;
                let step_ctx = ctx(first_start, warned);
                let span = tracing::info_span!("step", step = %step.name, attempt);
                let began = std::time::Instant::now();
                let outcome = tokio::select! {
                    r = execute(&kind, &step_ctx).instrument(span) => r,
                    state = self.no_longer_held(id) => {
                        return self.stopped_by(id, step.position, state).await;
                    }
                    () = until(deadline) => Err(ServerError::Wait(format!(
                        "the run took longer than its plan's run timeout ({} s) and was stopped in this step",
                        plan.tier.run_timeout_secs
                    ))),
                };
                crate::metrics::metrics().step_attempt(
                    &step.name,
                    step_outcome(&outcome, attempt < self.opts.max_attempts),
                    began.elapsed().as_secs_f64(),
                );
                match self
                    .record(
                        id,
                        (&kind, step.position),
                        attempt,
                        outcome,
                        &run,
                        &mut warned,
                    )
                    .await?
                {
                    Some(Next::Step) => break,
                    Some(Next::Stop) => return Ok(()),
                    None => {}
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
            .complete_run(
                id,
                me,
                state_after(run.operation, warned)
                    .map(|s| (s, last_warning.as_deref().filter(|_| warned))),
                self.opts
                    .owner_channel
                    .as_deref()
                    .and_then(|channel| match run.operation {
                        Operation::Provision => Some((channel, crate::store::WELCOME)),
                        Operation::Deprovision if run.options.notify_owner => {
                            Some((channel, crate::store::DEPROVISIONED))
                        }
                        _ => None,
                    }),
            )
            .await
    }

    /// Writes how one attempt went. `Some(next)` when the step is over
    /// (go on, or the run is done with); `None` to try the step again.
    async fn record(
        &self,
        id: i64,
        (kind, position): (&Step, i64),
        attempt: i64,
        outcome: Result<StepOutcome>,
        run: &RunDto,
        warned: &mut bool,
    ) -> Result<Option<Next>> {
        let me = self.opts.process.as_str();
        let at = (id, position);
        match outcome {
            Ok(StepOutcome::Done(line)) => {
                self.store
                    .finish_step(
                        at,
                        me,
                        StepState::Completed,
                        (AttemptOutcome::Completed, None),
                        &line,
                    )
                    .await?;
                Ok(Some(Next::Step))
            }
            Ok(StepOutcome::Warn(reason)) => {
                *warned = true;
                let line = format!("warning: {reason}");
                self.store
                    .finish_step(
                        at,
                        me,
                        StepState::Completed,
                        (AttemptOutcome::Warned, Some(&reason)),
                        &line,
                    )
                    .await?;
                Ok(Some(Next::Step))
            }
            Ok(StepOutcome::Later(until)) => {
                let line = if attempt == 1 {
                    format!("waiting until {} (UTC)", crate::store::format_ms(until))
                } else {
                    String::new()
                };
                self.store.defer_run(at, me, until, &line).await?;
                Ok(Some(Next::Stop))
            }
            Ok(StepOutcome::Again(reason)) => {
                // The step's own limit (a job's attempts) decided: no
                // backoff, and the console's limit does not apply.
                let line = format!("{reason}; running it again");
                self.store
                    .finish_step(
                        at,
                        me,
                        StepState::Pending,
                        (AttemptOutcome::Retrying, Some(&reason)),
                        &line,
                    )
                    .await?;
                Ok(None)
            }
            Err(e) if e.is_transient() && attempt < self.opts.max_attempts => {
                let delay = backoff(&self.opts, attempt);
                let line = format!(
                    "attempt {attempt} failed: {e}; retrying in {:.1}s",
                    delay.as_secs_f64()
                );
                let name = kind.stored();
                tracing::warn!(run = id, step = %name, error = %e, "transient failure; retrying");
                crate::metrics::metrics().step_retried(&name, e.metric_label());
                let cause = e.to_string();
                self.store
                    .finish_step(
                        at,
                        me,
                        StepState::Pending,
                        (AttemptOutcome::Retrying, Some(&cause)),
                        &line,
                    )
                    .await?;
                tokio::time::sleep(delay).await;
                Ok(None)
            }
            Err(ServerError::LeaseLost(why)) => Err(ServerError::LeaseLost(why)),
            Err(e) => {
                self.fail(
                    id,
                    run.operation,
                    &run.tenant_id,
                    (kind, position),
                    attempt,
                    e,
                )
                .await?;
                Ok(Some(Next::Stop))
            }
        }
    }

    /// Resolves when this process no longer holds the run (cancelled by
    /// staff, or taken over), with the run's state; checked once a second,
    /// so a cancel from another replica is seen too.
    async fn no_longer_held(&self, id: i64) -> RunState {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(Err(state)) = self.store.holds(id, &self.opts.process).await {
                return state;
            }
        }
    }

    /// The run left this process's hands: a cancel settles the tenant; a
    /// takeover (or an end written elsewhere) just stops here.
    async fn stopped_by(&self, id: i64, position: i64, state: RunState) -> Result<()> {
        if state != RunState::Cancelled {
            return Err(ServerError::LeaseLost(format!(
                "run {id} is {state} and no longer held here"
            )));
        }
        let run = self.store.get_run(id).await?;
        match self
            .store
            .stop_cancelled((id, position), &self.opts.process, state_after_cancel(&run))
            .await
        {
            Err(ServerError::LeaseLost(_)) => Ok(()),
            other => other,
        }
    }

    /// Records a failed step and run. A provisioning run whose database
    /// never became ready is cleaned up first, as in the earlier system,
    /// when its tenant has never been live: nothing half-made stays behind,
    /// and the steps that had run read "rolled back". A tenant that was
    /// live keeps everything. Then step, run and tenant are written at once.
    async fn fail(
        &self,
        id: i64,
        op: Operation,
        tenant: &str,
        (step, position): (&Step, i64),
        attempt: i64,
        e: ServerError,
    ) -> Result<()> {
        let cause = e.to_string();
        let name = step.stored();
        tracing::warn!(run = id, step = %name, error = %cause, "step failed");
        let line = format!("attempt {attempt} failed: {cause}");
        let mut rollback_line = None;
        let mut note = None;
        if op == Operation::Provision && step.kind == StepKind::WaitDatabase {
            let t = self.store.get_tenant(tenant).await?;
            let ns = t.namespace.as_str();
            if t.ever_live() {
                // A tenant that was ever live keeps its namespace and data
                // whatever fails: only Deprovision removes them.
                note = Some(format!(
                    "not rolled back: \"{tenant}\" has been live, so namespace {ns} and its data are kept"
                ));
            } else {
                match remove_namespace(
                    &self.cluster,
                    &self.store,
                    (tenant, ns),
                    false,
                    self.opts.wait_teardown,
                )
                .await
                {
                    Ok(_) => {
                        rollback_line = Some(format!(
                            "rolled back by the clean-up: namespace {ns} removed; a retry starts from the first step"
                        ))
                    }
                    Err(err) => note = Some(format!("cleanup failed: {err}")),
                }
            }
        }
        let line = match &note {
            Some(c) => format!("{line}\n{c}"),
            None => line,
        };
        let detail = format!("{name} failed: {cause}");
        self.store
            .fail_run(
                id,
                &self.opts.process,
                Failure {
                    position,
                    cause: &cause,
                    line: &line,
                    rollback: rollback_line.as_deref().map(|l| Rollback { line: l }),
                    tenant: state_after_failure(op).map(|s| (s, detail.as_str())),
                },
            )
            .await
    }
}
