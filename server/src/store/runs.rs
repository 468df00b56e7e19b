//! Provisioning runs and their steps: the durable record the runner works
//! from, so a restart resumes exactly where the last process stopped.

use app::dto::{Operation, RunDto, RunState, StepDto, StepState, TenantState};

use super::{now_ms, AuditEntry, Store};
use crate::error::{Result, ServerError};

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    tenant_id: String,
    operation: String,
    state: String,
    requested_by: String,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct StepRow {
    position: i64,
    name: String,
    state: String,
    attempts: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    last_error: Option<String>,
    log: String,
}

const RUN_COLUMNS: &str =
    "id, tenant_id, operation, state, requested_by, created_at, started_at, finished_at";
/// Log lines kept per step; older lines are dropped first.
const MAX_LOG_CHARS: usize = 16_000;

impl Store {
    /// Records a run with its planned steps. Refused while the tenant has an
    /// unfinished run: two runs must never work on one tenant at once.
    pub async fn create_run(
        &self,
        tenant_id: &str,
        op: Operation,
        steps: &[&str],
        actor: &str,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let open = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM provisioning_runs WHERE tenant_id = $1 AND state IN ('pending', 'running') LIMIT 1",
        )
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = open {
            return Err(ServerError::Conflict(format!(
                "Tenant \"{tenant_id}\" already has run {id} in progress; wait for it, or cancel it first."
            )));
        }
        let now = now_ms();
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO provisioning_runs (tenant_id, operation, state, options, requested_by, created_at) \
             VALUES ($1, $2, 'pending', '{}', $3, $4) RETURNING id",
        )
        .bind(tenant_id)
        .bind(op.as_str())
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (i, name) in steps.iter().enumerate() {
            sqlx::query("INSERT INTO provisioning_steps (run_id, position, name, state) VALUES ($1, $2, $3, 'pending')")
                .bind(id)
                .bind(i as i64)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        AuditEntry::new(actor, &format!("tenant.{op}"), "tenant", tenant_id)
            .detail(format!("run {id}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_run(&self, id: i64) -> Result<RunDto> {
        let row = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM provisioning_runs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Run {id}")))?;
        self.with_steps(row).await
    }

    async fn with_steps(&self, r: RunRow) -> Result<RunDto> {
        let steps = sqlx::query_as::<_, StepRow>(
            "SELECT position, name, state, attempts, started_at, finished_at, last_error, log \
             FROM provisioning_steps WHERE run_id = $1 ORDER BY position",
        )
        .bind(r.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(RunDto {
            id: r.id,
            tenant_id: r.tenant_id,
            operation: Operation::parse(&r.operation).unwrap_or(Operation::Provision),
            state: RunState::parse(&r.state).unwrap_or(RunState::Failed),
            requested_by: r.requested_by,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            steps: steps
                .into_iter()
                .map(|s| StepDto {
                    position: s.position,
                    name: s.name,
                    state: StepState::parse(&s.state).unwrap_or(StepState::Failed),
                    attempts: s.attempts,
                    started_at: s.started_at,
                    finished_at: s.finished_at,
                    last_error: s.last_error,
                    log: s.log,
                })
                .collect(),
        })
    }

    pub async fn runs_for_tenant(&self, tenant_id: &str) -> Result<Vec<RunDto>> {
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM provisioning_runs WHERE tenant_id = $1 ORDER BY id DESC LIMIT 50"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.with_steps(r).await?);
        }
        Ok(out)
    }

    /// Runs a runner must (re)start: pending, or running when a process died.
    pub async fn unfinished_runs(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM provisioning_runs WHERE state IN ('pending', 'running') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn set_run_state(&self, id: i64, state: RunState) -> Result<()> {
        let sql = match state {
            RunState::Running => "UPDATE provisioning_runs SET state = $2, started_at = COALESCE(started_at, $3) WHERE id = $1",
            s if s.is_finished() => "UPDATE provisioning_runs SET state = $2, finished_at = $3 WHERE id = $1",
            _ => "UPDATE provisioning_runs SET state = $2, finished_at = NULL WHERE id = $1",
        };
        let mut q = sqlx::query(sql).bind(id).bind(state.as_str());
        if sql.contains("$3") {
            q = q.bind(now_ms());
        }
        q.execute(&self.pool).await?;
        Ok(())
    }

    /// Marks a step running and counts the attempt.
    pub async fn start_step(&self, run: i64, position: i64) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(
            "UPDATE provisioning_steps SET state = 'running', attempts = attempts + 1, \
             started_at = COALESCE(started_at, $3), finished_at = NULL \
             WHERE run_id = $1 AND position = $2 RETURNING attempts",
        )
        .bind(run)
        .bind(position)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Ends (or pauses, with `Pending`) a step, recording the error and a log line.
    pub async fn finish_step(
        &self,
        run: i64,
        position: i64,
        state: StepState,
        error: Option<&str>,
        line: &str,
    ) -> Result<()> {
        let log = sqlx::query_scalar::<_, String>(
            "SELECT log FROM provisioning_steps WHERE run_id = $1 AND position = $2",
        )
        .bind(run)
        .bind(position)
        .fetch_one(&self.pool)
        .await?;
        let mut log = format!("{log}{}\n", line);
        if log.len() > MAX_LOG_CHARS {
            let cut = log.len() - MAX_LOG_CHARS;
            let cut = (cut..log.len())
                .find(|i| log.is_char_boundary(*i))
                .unwrap_or(log.len());
            log = log.split_off(cut);
        }
        let finished = matches!(
            state,
            StepState::Completed | StepState::Failed | StepState::Skipped | StepState::Cancelled
        );
        sqlx::query(
            "UPDATE provisioning_steps SET state = $3, last_error = COALESCE($4, last_error), log = $5, \
             finished_at = CASE WHEN $6 = 1 THEN $7 ELSE NULL END WHERE run_id = $1 AND position = $2",
        )
        .bind(run)
        .bind(position)
        .bind(state.as_str())
        .bind(error)
        .bind(log)
        .bind(i64::from(finished))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Puts a failed or cancelled run back in the queue from its first
    /// unfinished step (recover / retry).
    pub async fn requeue_run(&self, id: i64, actor: &str) -> Result<RunDto> {
        let run = self.get_run(id).await?;
        if !matches!(run.state, RunState::Failed | RunState::Cancelled) {
            return Err(ServerError::Conflict(format!(
                "Run {id} is {}; only a failed or cancelled run can be resumed.",
                run.state
            )));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE provisioning_steps SET state = 'pending', attempts = 0 WHERE run_id = $1 AND state IN ('failed', 'cancelled', 'running')")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE provisioning_runs SET state = 'pending', finished_at = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        AuditEntry::new(actor, "run.recover", "tenant", run.tenant_id.clone())
            .detail(format!("run {id}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.get_run(id).await
    }

    /// Asks a pending or running run to stop; the runner stops before its next step.
    pub async fn cancel_run(&self, id: i64, actor: &str) -> Result<RunDto> {
        let run = self.get_run(id).await?;
        if run.state.is_finished() {
            return Err(ServerError::Conflict(format!(
                "Run {id} is already {}.",
                run.state
            )));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE provisioning_runs SET state = 'cancelled', finished_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE provisioning_steps SET state = 'cancelled' WHERE run_id = $1 AND state = 'pending'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        AuditEntry::new(actor, "run.cancel", "tenant", run.tenant_id.clone())
            .detail(format!("run {id}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.get_run(id).await
    }

    pub async fn set_tenant_state(&self, id: &str, state: TenantState) -> Result<()> {
        sqlx::query("UPDATE tenants SET state = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(state.as_str())
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The tier of the template version a tenant was made from.
    pub async fn tenant_tier(
        &self,
        template_id: i64,
        version: i64,
    ) -> Result<(String, app::dto::TierSpec)> {
        let (slug, spec) = sqlx::query_as::<_, (String, String)>(
            "SELECT t.slug, v.spec FROM templates t JOIN template_versions v ON v.template_id = t.id \
             WHERE t.id = $1 AND v.version = $2",
        )
        .bind(template_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Template {template_id} version {version}")))?;
        let spec = serde_json::from_str(&spec).map_err(|e| {
            ServerError::Config(format!("a stored template spec is unreadable: {e}"))
        })?;
        Ok((slug, spec))
    }
}
