//! Provisioning runs and their steps: the durable record the runner works
//! from, so a restart resumes exactly where the last process stopped.

use app::dto::{
    AttemptDto, AttemptOutcome, Operation, Page, RunDto, RunOptions, RunQuery, RunState, StepDto,
    StepState,
};

use super::{now_ms, placeholders, AuditEntry, Change, Store};
use crate::error::{Result, ServerError};

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    tenant_id: String,
    operation: String,
    state: String,
    requested_by: String,
    options: String,
    not_before: Option<i64>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    owner: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    position: i64,
    attempt: i64,
    process: String,
    started_at: i64,
    finished_at: Option<i64>,
    outcome: String,
    error: Option<String>,
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

const RUN_COLUMNS: &str = "id, tenant_id, operation, state, requested_by, options, not_before, \
     created_at, started_at, finished_at, owner";

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
        self.create_run_with(tenant_id, op, steps, actor, &RunOptions::default(), None)
            .await
    }

    /// [`Store::create_run`] with options, not started before `not_before`.
    pub async fn create_run_with(
        &self,
        tenant_id: &str,
        op: Operation,
        steps: &[&str],
        actor: &str,
        options: &RunOptions,
        not_before: Option<i64>,
    ) -> Result<i64> {
        let options_json = serde_json::to_string(options)
            .map_err(|e| ServerError::Config(format!("run options: {e}")))?;
        let mut tx = self.begin().await?;
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
            "INSERT INTO provisioning_runs (tenant_id, operation, state, options, requested_by, created_at, not_before, rollout_id) \
             VALUES ($1, $2, 'pending', $5, $3, $4, $6, $7) RETURNING id",
        )
        .bind(tenant_id)
        .bind(op.as_str())
        .bind(actor)
        .bind(now)
        .bind(&options_json)
        .bind(not_before)
        .bind(options.rollout)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            // The one-active-run index: another request won the race.
            if crate::error::is_unique_violation(&e) {
                ServerError::Conflict(format!(
                    "Tenant \"{tenant_id}\" already has a run in progress; wait for it, or cancel it first."
                ))
            } else {
                e.into()
            }
        })?;
        for (i, name) in steps.iter().enumerate() {
            sqlx::query("INSERT INTO provisioning_steps (run_id, position, name, state) VALUES ($1, $2, $3, 'pending')")
                .bind(id)
                .bind(i as i64)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        let mut detail = format!("run {id}");
        if *options != RunOptions::default() {
            detail.push_str(&format!(" with {options_json}"));
        }
        if let Some(t) = not_before {
            detail.push_str(&format!(", not before {t}"));
        }
        let action = app::domain::audit::run_action(op, options);
        AuditEntry::new(actor, &action, "tenant", tenant_id)
            .detail(detail)
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Run(id));
        self.changed(Change::Tenant(tenant_id.to_string()));
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
        let mut attempts = sqlx::query_as::<_, AttemptRow>(
            "SELECT position, attempt, process, started_at, finished_at, outcome, error \
             FROM step_attempts WHERE run_id = $1 ORDER BY position, attempt",
        )
        .bind(r.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .peekable();
        Ok(RunDto {
            id: r.id,
            tenant_id: r.tenant_id,
            operation: Operation::parse(&r.operation).unwrap_or(Operation::Provision),
            state: RunState::parse(&r.state).unwrap_or(RunState::Failed),
            requested_by: r.requested_by,
            options: serde_json::from_str(&r.options).unwrap_or_default(),
            not_before: r.not_before,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            owner: r.owner,
            steps: steps
                .into_iter()
                .map(|s| {
                    let mut history = vec![];
                    while let Some(a) = attempts.next_if(|a| a.position == s.position) {
                        history.push(AttemptDto {
                            attempt: a.attempt,
                            process: a.process,
                            started_at: a.started_at,
                            finished_at: a.finished_at,
                            outcome: AttemptOutcome::parse(&a.outcome)
                                .unwrap_or(AttemptOutcome::Interrupted),
                            error: a.error,
                        });
                    }
                    StepDto {
                        position: s.position,
                        name: s.name,
                        state: StepState::parse(&s.state).unwrap_or(StepState::Failed),
                        attempts: s.attempts,
                        started_at: s.started_at,
                        finished_at: s.finished_at,
                        last_error: s.last_error,
                        log: s.log,
                        history,
                    }
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

    /// Runs, newest first, filtered by state, operation and tenant.
    pub async fn list_runs(&self, q: &RunQuery) -> Result<Page<RunDto>> {
        let q = q.clone().normalised();
        let filter = "WHERE ($1 = '' OR state = $1) AND ($2 = '' OR operation = $2) AND ($3 = '' OR tenant_id = $3)";
        let state = q.state.map(|s| s.as_str()).unwrap_or("");
        let op = q.operation.map(|o| o.as_str()).unwrap_or("");
        let total = sqlx::query_scalar::<_, i64>(&format!(
            "SELECT COUNT(*) FROM provisioning_runs {filter}"
        ))
        .bind(state)
        .bind(op)
        .bind(&q.tenant)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM provisioning_runs {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(state)
        .bind(op)
        .bind(&q.tenant)
        .bind(i64::from(q.per_page))
        .bind(i64::from(q.page - 1) * i64::from(q.per_page))
        .fetch_all(&self.pool)
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.with_steps(r).await?);
        }
        Ok(Page {
            items,
            total,
            page: q.page,
            per_page: q.per_page,
        })
    }

    /// Puts a failed or cancelled run back in the queue from its first
    /// unfinished step (recover / retry).
    /// `action` names it in the audit log ("run.recover", "run.retry_step").
    pub async fn requeue_run(&self, id: i64, actor: &str, action: &str) -> Result<RunDto> {
        let run = self.get_run(id).await?;
        if !matches!(run.state, RunState::Failed | RunState::Cancelled) {
            return Err(ServerError::Conflict(format!(
                "Run {id} is {}; only a failed or cancelled run can be resumed.",
                run.state
            )));
        }
        let mut tx = self.begin().await?;
        let requeued = sqlx::query(
            "UPDATE provisioning_runs SET state = 'pending', finished_at = NULL, owner = NULL, \
             lease_until = NULL WHERE id = $1 AND state IN ('failed', 'cancelled')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                ServerError::Conflict(format!(
                    "Tenant \"{}\" has another run in progress; run {id} can be resumed once it ends.",
                    run.tenant_id
                ))
            } else {
                e.into()
            }
        })?;
        if requeued.rows_affected() == 0 {
            return Err(ServerError::Conflict(format!(
                "Run {id} changed meanwhile; only a failed or cancelled run can be resumed."
            )));
        }
        sqlx::query(
            "UPDATE provisioning_steps SET state = 'pending', attempts = 0 WHERE run_id = $1 \
             AND state IN ('failed', 'cancelled', 'running', 'rolled_back')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        AuditEntry::new(actor, action, "tenant", run.tenant_id.clone())
            .detail(format!("run {id}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Run(id));
        self.get_run(id).await
    }

    /// Asks a pending or running run to stop; the runner holding it stops
    /// within a second. Returns the run and whether a live process holds it
    /// (which then settles the tenant); if none does, the caller settles.
    pub async fn cancel_run(&self, id: i64, actor: &str) -> Result<(RunDto, bool)> {
        let run = self.get_run(id).await?;
        let mut tx = self.begin().await?;
        let held = sqlx::query_scalar::<_, i64>(&format!(
            "UPDATE provisioning_runs SET state = 'cancelled', finished_at = $2 \
             WHERE id = $1 AND state IN ('pending', 'running') RETURNING \
             CAST(CASE WHEN owner IS NOT NULL AND lease_until >= {} THEN 1 ELSE 0 END AS BIGINT)",
            self.db_now()
        ))
        .bind(id)
        .bind(now_ms())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServerError::Conflict(format!("Run {id} is already {}.", run.state)))?;
        sqlx::query("UPDATE provisioning_steps SET state = 'cancelled' WHERE run_id = $1 AND state = 'pending'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        AuditEntry::new(actor, "run.cancel", "tenant", run.tenant_id.clone())
            .detail(format!("run {id}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Run(id));
        Ok((self.get_run(id).await?, held == 1))
    }

    /// Moves a tenant to another template version, release and replica
    /// overrides (what an update run then applies).
    pub async fn set_tenant_spec(
        &self,
        id: &str,
        (template, release): ((i64, i64), i64),
        replicas: (Option<i64>, Option<i64>),
        custom_fields: &app::dto::CustomValues,
        (actor, detail): (&str, &str),
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(&format!(
            "UPDATE tenants SET template_id = $2, template_version = $3, api_replicas = $4, \
             web_replicas = $5, release_number = $7, custom_fields = $8, {} WHERE id = $1",
            super::bump_updated_at(6)
        ))
        .bind(id)
        .bind(template.0)
        .bind(template.1)
        .bind(replicas.0)
        .bind(replicas.1)
        .bind(now_ms())
        .bind(release)
        .bind(super::tenants::custom_fields_json(custom_fields))
        .execute(&mut *tx)
        .await?;
        AuditEntry::new(actor, "tenant.change", "tenant", id)
            .detail(detail)
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(())
    }

    /// Removes a deprovisioned tenant's audit events, leaving one event that
    /// says how many went. Returns that number.
    /// Removes a tenant's audit trail but its security events
    /// ([`app::domain::audit::is_security_event`]), which are kept.
    pub async fn purge_tenant_audit(&self, id: &str, actor: &str) -> Result<i64> {
        let mut tx = self.begin().await?;
        let gone = sqlx::query(&format!(
            "DELETE FROM audit_events WHERE target_kind = 'tenant' AND target_id = $1 AND {}",
            super::retention::not_security_event()
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let gone = i64::try_from(gone).unwrap_or(i64::MAX);
        AuditEntry::new(actor, "tenant.audit_purged", "tenant", id)
            .detail(format!(
                "{gone} event(s) removed on deprovisioning; security events kept"
            ))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(gone)
    }
}

/// A tenant's latest run, as the alert rules look at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatestRun {
    pub tenant_id: String,
    pub id: i64,
    pub operation: Operation,
    pub state: RunState,
    pub started_at: Option<i64>,
    /// The failed step and its cause, when it failed.
    pub failure: Option<String>,
}

impl Store {
    /// The latest run of every tenant, or of the tenants in `scope`.
    pub async fn latest_runs(&self, scope: Option<&[String]>) -> Result<Vec<LatestRun>> {
        type Row = (
            String,
            i64,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let only = match scope {
            Some([]) => return Ok(vec![]),
            Some(ids) => format!("WHERE tenant_id IN ({})", placeholders(1, ids.len())),
            None => String::new(),
        };
        let sql = format!(
            "SELECT r.tenant_id, r.id, r.operation, r.state, r.started_at, \
             (SELECT s.name FROM provisioning_steps s WHERE s.run_id = r.id AND s.state = 'failed' LIMIT 1), \
             (SELECT s.last_error FROM provisioning_steps s WHERE s.run_id = r.id AND s.state = 'failed' LIMIT 1) \
             FROM provisioning_runs r \
             WHERE r.id IN (SELECT MAX(id) FROM provisioning_runs {only} GROUP BY tenant_id)"
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in scope.unwrap_or_default() {
            query = query.bind(id.clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(
                |(tenant_id, id, op, state, started_at, step, error)| LatestRun {
                    tenant_id,
                    id,
                    operation: Operation::parse(&op).unwrap_or(Operation::Provision),
                    state: RunState::parse(&state).unwrap_or(RunState::Failed),
                    started_at,
                    failure: step.map(|s| format!("{s} failed: {}", error.unwrap_or_default())),
                },
            )
            .collect())
    }

    /// Tenants with a run pending or running.
    pub async fn tenants_with_open_runs(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT tenant_id FROM provisioning_runs WHERE state IN ('pending', 'running')",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The tenant a run belongs to.
    pub async fn run_tenant(&self, run: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, String>(
                "SELECT tenant_id FROM provisioning_runs WHERE id = $1",
            )
            .bind(run)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// How long the last `limit` completed runs of `op` took (ms).
    pub async fn run_durations(&self, op: Operation, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT finished_at - started_at FROM provisioning_runs WHERE operation = $1 \
             AND state = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT NULL \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(op.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// (tenant, template) of every tenant or of those in `scope`, for
    /// routing and rule overrides.
    pub async fn tenant_templates(&self, scope: Option<&[String]>) -> Result<Vec<(String, i64)>> {
        let sql = match scope {
            Some([]) => return Ok(vec![]),
            Some(ids) => format!(
                "SELECT id, template_id FROM tenants WHERE id IN ({})",
                placeholders(1, ids.len())
            ),
            None => "SELECT id, template_id FROM tenants".to_string(),
        };
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for id in scope.unwrap_or_default() {
            query = query.bind(id.clone());
        }
        Ok(query.fetch_all(&self.pool).await?)
    }
}
