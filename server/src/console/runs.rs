//! Runs: read them, retry a failed step, recover (resume) a failed run,
//! cancel one that has not finished.

use app::domain::lifecycle::role_for;
use app::dto::{CurrentStaff, Page, Role, RunDto, RunQuery, RunState, StepState};
use app::error::AppError;

use super::{require, ConsoleService, R};
use crate::provisioning::settle_after_cancel;
use app::api::runs::Runs;

/// Retrying or recovering a run needs the role its operation and options
/// needed when it was started (an operator cannot re-run an admin's restore
/// or forced teardown).
fn require_as_started(who: &CurrentStaff, run: &RunDto, verb: &str) -> R<()> {
    let role = role_for(run.operation, &run.options);
    require(
        who,
        role,
        &format!("{verb} a {} run with these options", run.operation),
    )
}

#[async_trait::async_trait]
impl Runs for ConsoleService {
    async fn list_runs(&self, who: &CurrentStaff, q: RunQuery) -> R<Page<RunDto>> {
        require(who, Role::Viewer, "list runs")?;
        Ok(self.store.list_runs(&q).await?)
    }

    async fn get_run(&self, who: &CurrentStaff, id: i64) -> R<RunDto> {
        require(who, Role::Viewer, "view runs")?;
        Ok(self.store.get_run(id).await?)
    }

    /// Retries the failed step of a failed run (and goes on from there).
    async fn retry_step(&self, who: &CurrentStaff, id: i64, position: i64) -> R<RunDto> {
        require(who, Role::Operator, "retry steps")?;
        let run = self.store.get_run(id).await?;
        require_as_started(who, &run, "retry")?;
        let step = run
            .steps
            .iter()
            .find(|s| s.position == position)
            .ok_or_else(|| {
                AppError::invalid("position", format!("run {id} has no step {position}"))
            })?;
        if run.state != RunState::Failed || step.state != StepState::Failed {
            return Err(AppError::Conflict(format!(
                "Step \"{}\" of run {id} is {} and the run is {}: only the failed step of a failed run can be retried.",
                step.name, step.state, run.state
            )));
        }
        self.ensure_latest(&run).await?;
        let engine = self.engine().await?;
        let run = self
            .store
            .requeue_run(id, &who.username, "run.retry_step")
            .await?;
        engine.runner.wake();
        Ok(run)
    }

    /// Resumes a failed or cancelled run from its first unfinished step.
    async fn recover_run(&self, who: &CurrentStaff, id: i64) -> R<RunDto> {
        require(who, Role::Operator, "recover runs")?;
        let run = self.store.get_run(id).await?;
        require_as_started(who, &run, "recover")?;
        self.ensure_latest(&run).await?;
        let engine = self.engine().await?;
        let run = self
            .store
            .requeue_run(id, &who.username, "run.recover")
            .await?;
        engine.runner.wake();
        Ok(run)
    }

    /// Stops a run before its next step (a step in flight is interrupted
    /// within a second); the tenant's state reflects what was done.
    async fn cancel_run(&self, who: &CurrentStaff, id: i64) -> R<RunDto> {
        require(who, Role::Operator, "cancel runs")?;
        let (run, held) = self.store.cancel_run(id, &who.username).await?;
        if !held {
            // No live process holds it (never claimed, or its process
            // died): settle the tenant here.
            settle_after_cancel(&self.store, &run).await?;
        }
        Ok(run)
    }
}

impl ConsoleService {
    /// Only a tenant's latest run may be resumed: an older one would undo
    /// what came after it.
    async fn ensure_latest(&self, run: &RunDto) -> R<()> {
        let latest = self.store.runs_for_tenant(&run.tenant_id).await?;
        match latest.first() {
            Some(l) if l.id != run.id => Err(AppError::Conflict(format!(
                "Run {} is not the latest of \"{}\" (run {} is): start a new operation instead.",
                run.id, run.tenant_id, l.id
            ))),
            _ => Ok(()),
        }
    }
}
