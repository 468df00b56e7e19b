//! What the statistics page adds up: runs, steps and tenants of a window,
//! read as plain facts (the sums are `app::domain::stats::summary`).

use app::dto::{Operation, RunFact, RunState, StepFact, StepState, TenantFact, TenantState};

use super::Store;
use crate::error::Result;

type RunRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);
type StepRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl Store {
    /// Runs created, started or finished since `since` (ms), with the name
    /// of their tenant's template.
    pub async fn run_facts(&self, since: i64) -> Result<Vec<RunFact>> {
        let rows = sqlx::query_as::<_, RunRow>(
            "SELECT r.id, r.tenant_id, r.operation, r.state, v.name, r.created_at, r.not_before, \
             r.started_at, r.finished_at FROM provisioning_runs r \
             JOIN tenants t ON t.id = r.tenant_id \
             JOIN template_versions v ON v.template_id = t.template_id AND v.version = t.template_version \
             WHERE r.created_at >= $1 OR r.started_at >= $1 OR r.finished_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(
                    id,
                    tenant_id,
                    op,
                    state,
                    template,
                    created_at,
                    not_before,
                    started_at,
                    finished_at,
                )| {
                    Some(RunFact {
                        id,
                        tenant_id,
                        operation: Operation::parse(&op)?,
                        state: RunState::parse(&state)?,
                        template,
                        created_at,
                        not_before,
                        started_at,
                        finished_at,
                    })
                },
            )
            .collect())
    }

    /// Steps that finished since `since` (ms).
    pub async fn step_facts(&self, since: i64) -> Result<Vec<StepFact>> {
        let rows = sqlx::query_as::<_, StepRow>(
            "SELECT s.run_id, r.tenant_id, s.name, s.state, s.started_at, s.finished_at, s.last_error \
             FROM provisioning_steps s JOIN provisioning_runs r ON r.id = s.run_id \
             WHERE s.finished_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(run_id, tenant_id, name, state, started_at, finished_at, error)| {
                    Some(StepFact {
                        run_id,
                        tenant_id,
                        name,
                        state: StepState::parse(&state)?,
                        started_at,
                        finished_at,
                        error,
                    })
                },
            )
            .collect())
    }

    /// Every tenant's tier (its template's name), state, creation time and
    /// the history of its states (kept by triggers, see migration 0011).
    pub async fn tenant_facts(&self) -> Result<Vec<TenantFact>> {
        let rows = sqlx::query_as::<_, (String, String, String, i64)>(
            "SELECT t.id, v.name, t.state, t.created_at FROM tenants t \
             JOIN template_versions v ON v.template_id = t.template_id AND v.version = t.template_version",
        )
        .fetch_all(&self.pool)
        .await?;
        let changes = sqlx::query_as::<_, (String, String, i64)>(
            "SELECT tenant_id, state, at FROM tenant_state_changes ORDER BY at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut history: std::collections::HashMap<String, Vec<(i64, TenantState)>> =
            std::collections::HashMap::new();
        for (tenant, state, at) in changes {
            if let Some(s) = TenantState::parse(&state) {
                history.entry(tenant).or_default().push((at, s));
            }
        }
        Ok(rows
            .into_iter()
            .filter_map(|(id, tier, state, created_at)| {
                Some(TenantFact {
                    tier,
                    state: TenantState::parse(&state)?,
                    created_at,
                    history: history.remove(&id).unwrap_or_default(),
                })
            })
            .collect())
    }
}
