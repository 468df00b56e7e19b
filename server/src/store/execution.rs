//! What a runner writes while it executes a run, as the proven PostgreSQL
//! job queues do it: a run is *claimed* by one process with a *lease* it
//! renews (judged by the database's clock); every later write is guarded by
//! "this process still holds the run and it is still running", so a cancel
//! is never undone, a finished run never re-run, and a process that lost its
//! lease cannot write over the one that took the run over. A step's failure,
//! its run's failure and the tenant's state are written in one transaction.

use std::time::Duration;

use app::dto::{AttemptOutcome, RunState, StepState, TenantState};
use sqlx::{Any, Transaction};

use super::tenant_state::{write_state, Guard, NewState};
use super::{now_ms, Backend, Change, Store};
use crate::error::{Result, ServerError};

/// Log characters kept per step; older lines are dropped first.
const MAX_LOG_CHARS: usize = 16_000;

/// A run's steps undone by a clean-up, and what the clean-up said.
pub struct Rollback<'a> {
    pub line: &'a str,
}

/// How a failed run leaves its tenant.
pub struct Failure<'a> {
    pub position: i64,
    pub cause: &'a str,
    pub line: &'a str,
    /// Set when a clean-up removed what the earlier steps made.
    pub rollback: Option<Rollback<'a>>,
    /// The tenant's state and why; `None` leaves the tenant as it was.
    pub tenant: Option<(TenantState, &'a str)>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The guard of every runner write: `$owner` holds run `$run` and it runs.
const HELD: &str = "EXISTS (SELECT 1 FROM provisioning_runs r WHERE r.id = $1 AND r.owner = $2 \
                    AND r.state = 'running')";

impl Store {
    /// Now, in Unix milliseconds, by the database's clock: leases are judged
    /// by one clock, whichever replica looks.
    pub(crate) fn db_now(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "(CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))",
            Backend::Sqlite => "(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))",
        }
    }

    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// The database's clock now (ms).
    pub async fn database_now(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, i64>(&format!("SELECT {}", self.db_now()))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Claims the oldest run that may go now (pending, or left running by a
    /// process whose lease expired; not before its time) for `owner`, with a
    /// lease of `lease`. Attempts the previous holder left open are marked
    /// interrupted. `None` when nothing is due.
    pub async fn claim_run(&self, owner: &str, lease: Duration) -> Result<Option<i64>> {
        let now = self.db_now();
        let free = format!(
            "state IN ('pending', 'running') AND (not_before IS NULL OR not_before <= {now}) \
             AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now})"
        );
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar::<_, i64>(&format!(
            "UPDATE provisioning_runs SET owner = $1, lease_until = {now} + $2, state = 'running', \
             started_at = COALESCE(started_at, {now}) \
             WHERE id = (SELECT id FROM provisioning_runs WHERE {free} ORDER BY id LIMIT 1{}) AND {free} \
             RETURNING id",
            self.skip_locked()
        ))
        .bind(owner)
        .bind(millis(lease))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            sqlx::query(&format!(
                "UPDATE step_attempts SET outcome = 'interrupted', finished_at = {now} \
                 WHERE run_id = $1 AND outcome = 'running'"
            ))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if let Some(id) = id {
            self.changed(Change::Run(id));
        }
        Ok(id)
    }

    /// Runs due now that no live lease holds, and the age in ms of the
    /// oldest of them (0 when none), for the metrics.
    pub async fn queue_depth(&self) -> Result<(i64, i64)> {
        let now = self.db_now();
        let (n, oldest): (i64, Option<i64>) = sqlx::query_as(&format!(
            "SELECT COUNT(*), MIN(created_at) FROM provisioning_runs \
             WHERE state IN ('pending', 'running') AND (not_before IS NULL OR not_before <= {now}) \
             AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now})"
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok((n, oldest.map_or(0, |t| (crate::store::now_ms() - t).max(0))))
    }

    /// Renews the leases of the runs `owner` holds; returns the ids it still
    /// holds (a run missing was lost to another process, or has ended).
    pub async fn renew_leases(&self, owner: &str, lease: Duration) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar::<_, i64>(&format!(
            "UPDATE provisioning_runs SET lease_until = {} + $2 \
             WHERE owner = $1 AND state = 'running' RETURNING id",
            self.db_now()
        ))
        .bind(owner)
        .bind(millis(lease))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Lets go of every run `owner` holds (shutting down), so another
    /// process takes them at once; open attempts are marked interrupted.
    pub async fn release_runs(&self, owner: &str) -> Result<u64> {
        self.release_where("owner = $1", Some(owner)).await
    }

    /// Every lease, whoever held it: SQLite's one process reclaims its own
    /// unfinished runs at start without waiting for leases to expire.
    pub async fn release_all_runs(&self) -> Result<u64> {
        self.release_where("owner IS NOT NULL", None).await
    }

    async fn release_where(&self, which: &str, owner: Option<&str>) -> Result<u64> {
        let now = self.db_now();
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE provisioning_runs SET owner = NULL, lease_until = NULL \
             WHERE {which} AND state IN ('pending', 'running') RETURNING id"
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        if let Some(o) = owner {
            q = q.bind(o);
        }
        let ids = q.fetch_all(&mut *tx).await?;
        for id in &ids {
            sqlx::query(&format!(
                "UPDATE step_attempts SET outcome = 'interrupted', finished_at = {now} \
                 WHERE run_id = $1 AND outcome = 'running'"
            ))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        for id in &ids {
            self.changed(Change::Run(*id));
        }
        Ok(ids.len() as u64)
    }

    /// Whether `owner` still holds run `id` and it still runs; otherwise why
    /// not (the run's state, and whether someone else holds it).
    pub async fn holds(&self, id: i64, owner: &str) -> Result<std::result::Result<(), RunState>> {
        let (state, holder) = sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT state, owner FROM provisioning_runs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Run {id}")))?;
        let state = RunState::parse(&state).unwrap_or(RunState::Failed);
        Ok(
            if state == RunState::Running && holder.as_deref() == Some(owner) {
                Ok(())
            } else {
                Err(state)
            },
        )
    }

    fn lost(id: i64) -> ServerError {
        ServerError::LeaseLost(format!(
            "run {id} is no longer held by this process (cancelled, finished or taken over)"
        ))
    }

    /// Sets the tenant's state while its run works (provisioning, …).
    pub async fn tenant_during_run(&self, id: i64, owner: &str, state: TenantState) -> Result<()> {
        let guard = Guard::HeldRun { run: id, owner };
        let new = NewState {
            state,
            detail: None,
        };
        let tenant = write_state(&self.pool, guard, new)
            .await?
            .ok_or_else(|| Self::lost(id))?;
        self.changed(Change::Tenant(tenant));
        Ok(())
    }

    /// Starts an attempt of a step: (its attempt count in this retry cycle,
    /// when the step first started).
    pub async fn start_step(&self, run: i64, position: i64, owner: &str) -> Result<(i64, i64)> {
        let now = self.db_now();
        let mut tx = self.begin().await?;
        let started = sqlx::query_as::<_, (i64, i64)>(&format!(
            "UPDATE provisioning_steps SET state = 'running', attempts = attempts + 1, \
             started_at = COALESCE(started_at, {now}), finished_at = NULL \
             WHERE run_id = $1 AND position = $3 AND {HELD} RETURNING attempts, started_at"
        ))
        .bind(run)
        .bind(owner)
        .bind(position)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Self::lost(run))?;
        sqlx::query(&format!(
            "INSERT INTO step_attempts (run_id, position, attempt, process, started_at, outcome) \
             SELECT $1, $2, COALESCE(MAX(attempt), 0) + 1, $3, {now}, 'running' FROM step_attempts \
             WHERE run_id = $1 AND position = $2"
        ))
        .bind(run)
        .bind(position)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed(Change::Run(run));
        Ok(started)
    }

    /// Appends `line` to a step's log and sets its state; closes its open
    /// attempt with `outcome`.
    async fn write_step(
        &self,
        tx: &mut Transaction<'static, Any>,
        (run, position): (i64, i64),
        state: StepState,
        (outcome, error): (AttemptOutcome, Option<&str>),
        line: &str,
    ) -> Result<()> {
        let now = self.db_now();
        let log = sqlx::query_scalar::<_, String>(
            "SELECT log FROM provisioning_steps WHERE run_id = $1 AND position = $2",
        )
        .bind(run)
        .bind(position)
        .fetch_one(&mut **tx)
        .await?;
        let mut log = format!("{log}{line}\n");
        if log.len() > MAX_LOG_CHARS {
            let cut = log.len() - MAX_LOG_CHARS;
            let cut = (cut..log.len())
                .find(|i| log.is_char_boundary(*i))
                .unwrap_or(log.len());
            log = log.split_off(cut);
        }
        let finished = !matches!(state, StepState::Pending | StepState::Running);
        sqlx::query(&format!(
            "UPDATE provisioning_steps SET state = $3, last_error = COALESCE($4, last_error), log = $5, \
             finished_at = CASE WHEN $6 = 1 THEN {now} ELSE NULL END WHERE run_id = $1 AND position = $2"
        ))
        .bind(run)
        .bind(position)
        .bind(state.as_str())
        .bind(error)
        .bind(log)
        .bind(i64::from(finished))
        .execute(&mut **tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE step_attempts SET outcome = $3, error = $4, finished_at = {now} \
             WHERE run_id = $1 AND position = $2 AND outcome = 'running'"
        ))
        .bind(run)
        .bind(position)
        .bind(outcome.as_str())
        .bind(error)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Ends (or, with `Pending`, pauses for another attempt) a step of a run
    /// `owner` holds.
    pub async fn finish_step(
        &self,
        (run, position): (i64, i64),
        owner: &str,
        state: StepState,
        (outcome, error): (AttemptOutcome, Option<&str>),
        line: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.guard(&mut tx, run, owner).await?;
        self.write_step(&mut tx, (run, position), state, (outcome, error), line)
            .await?;
        if outcome == AttemptOutcome::Completed {
            // A once-only job that completed is never planned again for
            // its tenant (see `app::domain::steps::plan`).
            sqlx::query(
                "INSERT INTO tenant_jobs (tenant_id, step, run_id, completed_at) \
                 SELECT r.tenant_id, s.name, r.id, $3 FROM provisioning_steps s \
                 JOIN provisioning_runs r ON r.id = s.run_id \
                 WHERE s.run_id = $1 AND s.position = $2 AND s.name LIKE 'post-provision/%' \
                 ON CONFLICT DO NOTHING",
            )
            .bind(run)
            .bind(position)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.changed(Change::Run(run));
        Ok(())
    }

    /// Records the custom domain the tenant of `run` serves now (the step
    /// that applied its routes), while `owner` holds the run.
    pub async fn serve_domain(
        &self,
        (run, owner): (i64, &str),
        domain: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query_scalar::<_, String>(
            "UPDATE tenants SET served_domain = $3 WHERE id = (SELECT r.tenant_id FROM \
             provisioning_runs r WHERE r.id = $1 AND r.owner = $2 AND r.state = 'running') \
             RETURNING id",
        )
        .bind(run)
        .bind(owner)
        .bind(domain)
        .fetch_optional(&self.pool)
        .await?;
        match done {
            Some(tenant) => {
                self.changed(Change::Tenant(tenant));
                Ok(())
            }
            None => Err(Self::lost(run)),
        }
    }

    /// The once-only job steps completed for `tenant` (stored step names).
    pub async fn jobs_done(&self, tenant: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar::<_, String>(
            "SELECT step FROM tenant_jobs WHERE tenant_id = $1 ORDER BY step",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Fails with [`ServerError::LeaseLost`] unless `owner` holds `run` (and
    /// keeps the row locked on PostgreSQL until the transaction ends).
    async fn guard(&self, tx: &mut Transaction<'static, Any>, run: i64, owner: &str) -> Result<()> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        sqlx::query_scalar::<_, i64>(&format!(
            "SELECT id FROM provisioning_runs WHERE id = $1 AND owner = $2 AND state = 'running'{lock}"
        ))
        .bind(run)
        .bind(owner)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| Self::lost(run))?;
        Ok(())
    }

    /// Puts a held run back in the queue, not to be taken before `until`
    /// (a grace period): the step waits, the lease is let go.
    pub async fn defer_run(
        &self,
        (run, position): (i64, i64),
        owner: &str,
        until: i64,
        line: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.guard(&mut tx, run, owner).await?;
        self.write_step(
            &mut tx,
            (run, position),
            StepState::Pending,
            (AttemptOutcome::Deferred, None),
            line,
        )
        .await?;
        sqlx::query(
            "UPDATE provisioning_runs SET state = 'pending', not_before = $2, owner = NULL, \
             lease_until = NULL WHERE id = $1",
        )
        .bind(run)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed(Change::Run(run));
        Ok(())
    }

    /// Writes the run's tenant's new state (`None`: leaves it as it was);
    /// returns the tenant's ID.
    async fn settle_tenant(
        tx: &mut Transaction<'static, Any>,
        run: i64,
        tenant: Option<(TenantState, Option<&str>)>,
    ) -> Result<String> {
        let Some((state, detail)) = tenant else {
            return Ok(sqlx::query_scalar::<_, String>(
                "SELECT tenant_id FROM provisioning_runs WHERE id = $1",
            )
            .bind(run)
            .fetch_one(&mut **tx)
            .await?);
        };
        let new = NewState {
            state,
            detail: Some(detail),
        };
        write_state(&mut **tx, Guard::EndingRun(run), new)
            .await?
            .ok_or_else(|| ServerError::NotFound(format!("the tenant of run {run}")))
    }

    async fn end_run(
        &self,
        tx: &mut Transaction<'static, Any>,
        run: i64,
        state: RunState,
    ) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE provisioning_runs SET state = $2, finished_at = {}, lease_until = NULL WHERE id = $1",
            self.db_now()
        ))
        .bind(run)
        .bind(state.as_str())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The run is done: it and its tenant's new state in one transaction;
    /// with `tell` (the owner channel's name and a message: the welcome
    /// after a provisioning, the notice after a deprovisioning), the mail
    /// to the tenant's owner is queued in it too, once.
    pub async fn complete_run(
        &self,
        run: i64,
        owner: &str,
        tenant: Option<(TenantState, Option<&str>)>,
        tell: Option<(&str, &str)>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.guard(&mut tx, run, owner).await?;
        let tenant_id = Self::settle_tenant(&mut tx, run, tenant).await?;
        if let Some((channel, message)) = tell {
            Self::enqueue_owner_message(&mut tx, channel, (&tenant_id, run), message).await?;
        }
        self.end_run(&mut tx, run, RunState::Completed).await?;
        tx.commit().await?;
        self.changed(Change::Tenant(tenant_id));
        self.changed(Change::Run(run));
        Ok(())
    }

    /// The step failed for good: the step (and, after a clean-up, the
    /// steps it undid), the run and the tenant, in one transaction.
    pub async fn fail_run(&self, run: i64, owner: &str, f: Failure<'_>) -> Result<()> {
        let mut tx = self.begin().await?;
        self.guard(&mut tx, run, owner).await?;
        self.write_step(
            &mut tx,
            (run, f.position),
            StepState::Failed,
            (AttemptOutcome::Failed, Some(f.cause)),
            f.line,
        )
        .await?;
        if let Some(r) = f.rollback {
            let done: Vec<i64> = sqlx::query_scalar::<_, i64>(
                "SELECT position FROM provisioning_steps WHERE run_id = $1 AND state = 'completed'",
            )
            .bind(run)
            .fetch_all(&mut *tx)
            .await?;
            for position in done {
                self.append_log(&mut tx, (run, position), r.line).await?;
            }
            sqlx::query(
                "UPDATE provisioning_steps SET state = 'rolled_back' WHERE run_id = $1 AND state = 'completed'",
            )
            .bind(run)
            .execute(&mut *tx)
            .await?;
            self.append_log(&mut tx, (run, f.position), r.line).await?;
        }
        let tenant = f.tenant.map(|(state, detail)| (state, Some(detail)));
        let tenant_id = Self::settle_tenant(&mut tx, run, tenant).await?;
        self.end_run(&mut tx, run, RunState::Failed).await?;
        tx.commit().await?;
        self.changed(Change::Tenant(tenant_id));
        self.changed(Change::Run(run));
        Ok(())
    }

    async fn append_log(
        &self,
        tx: &mut Transaction<'static, Any>,
        (run, position): (i64, i64),
        line: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE provisioning_steps SET log = log || $3 WHERE run_id = $1 AND position = $2",
        )
        .bind(run)
        .bind(position)
        .bind(format!("{line}\n"))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A cancelled run this process was executing stops: its interrupted
    /// step reads cancelled and the tenant settles, in one transaction
    /// (only while the run is still cancelled and this process's).
    pub async fn stop_cancelled(
        &self,
        (run, position): (i64, i64),
        owner: &str,
        tenant: Option<TenantState>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let mine = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM provisioning_runs WHERE id = $1 AND owner = $2 AND state = 'cancelled'",
        )
        .bind(run)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        if mine.is_none() {
            return Err(Self::lost(run));
        }
        self.write_step(
            &mut tx,
            (run, position),
            StepState::Cancelled,
            (AttemptOutcome::Cancelled, None),
            "cancelled by staff",
        )
        .await?;
        let tenant = tenant.map(|state| (state, Some("the last run was cancelled")));
        let tenant_id = Self::settle_tenant(&mut tx, run, tenant).await?;
        sqlx::query("UPDATE provisioning_runs SET lease_until = NULL WHERE id = $1")
            .bind(run)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(tenant_id));
        self.changed(Change::Run(run));
        Ok(())
    }
}
