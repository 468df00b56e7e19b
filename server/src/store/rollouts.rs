//! Rollouts and their tenants. Every change of state is guarded on the
//! state read (a rollout's on its state and wave, a tenant's on its state),
//! so two replicas, staff and the driver cannot undo each other, and no
//! wave starts twice.

use app::dto::{RolloutDto, RolloutState, RolloutTenantDto, RolloutTenantState};

use super::{now_ms, AuditEntry, Change, Store};
use crate::error::{Result, ServerError};

/// A rollout about to start.
pub struct NewRollout<'a> {
    pub application: &'a str,
    pub release: Option<i64>,
    pub template_id: Option<i64>,
    pub waves: i64,
    pub parallelism: i64,
    pub soak_secs: i64,
}

/// One of its tenants: its wave (from 1), what it runs now, what moves.
pub struct NewRolloutTenant {
    pub tenant_id: String,
    pub wave: i64,
    pub from_state: app::dto::TenantState,
    pub from_release: i64,
    pub from_template: (i64, i64),
    pub change: String,
}

#[derive(sqlx::FromRow)]
struct RolloutRow {
    id: i64,
    application: String,
    release_number: Option<i64>,
    template_id: Option<i64>,
    state: String,
    reason: Option<String>,
    wave: i64,
    waves: i64,
    parallelism: i64,
    soak_secs: i64,
    soak_started_at: Option<i64>,
    created_at: i64,
    created_by: String,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    tenant_id: String,
    wave: i64,
    state: String,
    from_state: String,
    from_release: i64,
    from_template_id: i64,
    from_template_version: i64,
    run_id: Option<i64>,
    detail: Option<String>,
    change: String,
    updated_at: i64,
    backup_id: Option<i64>,
}

impl From<EntryRow> for RolloutTenantDto {
    fn from(r: EntryRow) -> Self {
        RolloutTenantDto {
            tenant_id: r.tenant_id,
            wave: r.wave,
            state: RolloutTenantState::parse(&r.state).unwrap_or(RolloutTenantState::Failed),
            from_state: app::dto::TenantState::parse(&r.from_state)
                .unwrap_or(app::dto::TenantState::Active),
            from_release: r.from_release,
            from_template_id: r.from_template_id,
            from_template_version: r.from_template_version,
            run_id: r.run_id,
            detail: r.detail,
            change: r.change,
            since: r.updated_at,
            backup_before_migration: r.backup_id,
            dry_run: None,
        }
    }
}

const COLUMNS: &str = "id, application, release_number, template_id, state, reason, wave, waves, \
     parallelism, soak_secs, soak_started_at, created_at, created_by, updated_at";

impl Store {
    /// Records a rollout, running from its first wave, with its tenants
    /// (audited as started).
    pub async fn create_rollout(
        &self,
        r: &NewRollout<'_>,
        tenants: &[NewRolloutTenant],
        actor: &str,
    ) -> Result<RolloutDto> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO rollouts (application, release_number, template_id, state, wave, waves, \
             parallelism, soak_secs, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, 'running', 1, $4, $5, $6, $7, $8, $7) RETURNING id",
        )
        .bind(r.application)
        .bind(r.release)
        .bind(r.template_id)
        .bind(r.waves)
        .bind(r.parallelism)
        .bind(r.soak_secs)
        .bind(now)
        .bind(actor)
        .fetch_one(&mut *tx)
        .await?;
        for (i, t) in tenants.iter().enumerate() {
            sqlx::query(
                "INSERT INTO rollout_tenants (rollout_id, tenant_id, wave, position, state, from_release, \
                 from_template_id, from_template_version, change, updated_at, from_state) \
                 VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(&t.tenant_id)
            .bind(t.wave)
            .bind(i as i64)
            .bind(t.from_release)
            .bind(t.from_template.0)
            .bind(t.from_template.1)
            .bind(&t.change)
            .bind(now)
            .bind(t.from_state.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let to = match (r.release, r.template_id) {
            (Some(n), Some(p)) => format!("release {n}, plan {p}"),
            (Some(n), None) => format!("release {n}"),
            (None, Some(p)) => format!("plan {p}"),
            (None, None) => "as they are".into(),
        };
        AuditEntry::new(actor, "rollout.start", "rollout", id.to_string())
            .detail(format!(
                "{} tenants of {} to {to} in {} waves",
                tenants.len(),
                r.application,
                r.waves
            ))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Rollout(id));
        self.get_rollout(id).await
    }

    pub async fn get_rollout(&self, id: i64) -> Result<RolloutDto> {
        let row = sqlx::query_as::<_, RolloutRow>(&format!(
            "SELECT {COLUMNS} FROM rollouts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Rollout {id}")))?;
        let tenants = sqlx::query_as::<_, EntryRow>(
            "SELECT tenant_id, wave, state, from_state, from_release, from_template_id, from_template_version, \
             run_id, detail, change, updated_at, \
             (SELECT MAX(b.id) FROM backups b WHERE b.run_id = t.run_id AND b.tenant_id = t.tenant_id \
              AND b.method = 'pre_migrate' AND b.pruned_at IS NULL) AS backup_id \
             FROM rollout_tenants t WHERE rollout_id = $1 ORDER BY wave, position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(RolloutTenantDto::from)
        .collect();
        Ok(dto(row, tenants))
    }

    /// The newest rollouts first (without their tenants).
    pub async fn list_rollouts(&self, limit: i64) -> Result<Vec<RolloutDto>> {
        Ok(sqlx::query_as::<_, RolloutRow>(&format!(
            "SELECT {COLUMNS} FROM rollouts ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| dto(r, vec![]))
        .collect())
    }

    /// The rollouts the driver moves on.
    pub async fn running_rollouts(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM rollouts WHERE state = 'running' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Moves rollout `id` from `from` to `to` (audited as `action` by
    /// `actor`, with `reason`): false when it no longer stands at `from`.
    pub async fn move_rollout(
        &self,
        id: i64,
        (from, to): (RolloutState, RolloutState),
        (actor, action, reason): (&str, &str, Option<&str>),
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE rollouts SET state = $3, reason = $4, updated_at = $5 WHERE id = $1 AND state = $2",
        )
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(reason)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        AuditEntry::new(actor, action, "rollout", id.to_string())
            .detail(reason.unwrap_or_default().to_string())
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Rollout(id));
        Ok(true)
    }

    /// Starts the soak of wave `wave` (once).
    pub async fn start_soak(&self, id: i64, wave: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE rollouts SET soak_started_at = $3, updated_at = $3 \
             WHERE id = $1 AND wave = $2 AND state = 'running' AND soak_started_at IS NULL",
        )
        .bind(id)
        .bind(wave)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        self.changed(Change::Rollout(id));
        Ok(done.rows_affected() > 0)
    }

    /// Moves a running rollout from wave `wave` on to the next, or to
    /// completed after the last (audited): false when another replica (or
    /// staff) moved it first.
    pub async fn next_wave(&self, id: i64, wave: i64, last: bool) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE rollouts SET wave = CASE WHEN $3 = 1 THEN wave ELSE wave + 1 END, \
             state = CASE WHEN $3 = 1 THEN 'completed' ELSE state END, \
             soak_started_at = NULL, updated_at = $4 \
             WHERE id = $1 AND wave = $2 AND state = 'running'",
        )
        .bind(id)
        .bind(wave)
        .bind(i64::from(last))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let (action, detail) = if last {
            ("rollout.completed", format!("wave {wave} was the last"))
        } else {
            ("rollout.wave", format!("wave {} starts", wave + 1))
        };
        AuditEntry::new("tenantry", action, "rollout", id.to_string())
            .detail(detail)
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Rollout(id));
        Ok(true)
    }

    /// Moves tenant `tenant` of rollout `id` to `to` from any of `from`,
    /// with its run and what happened: false when it stood elsewhere.
    pub async fn move_rollout_tenant(
        &self,
        (id, tenant): (i64, &str),
        from: &[RolloutTenantState],
        to: RolloutTenantState,
        (run, detail): (Option<i64>, Option<&str>),
    ) -> Result<bool> {
        let states: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        // Waiting again, or about to start: the run it had is history.
        let fresh = to == RolloutTenantState::Pending
            || (to == RolloutTenantState::Running && run.is_none() && !from.contains(&to));
        if states.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "UPDATE rollout_tenants SET state = $3, \
             run_id = CASE WHEN $7 = 1 THEN NULL ELSE COALESCE($4, run_id) END, detail = $5, \
             updated_at = $6 WHERE rollout_id = $1 AND tenant_id = $2 AND state IN ({})",
            super::placeholders(8, states.len())
        );
        let mut query = sqlx::query(&sql)
            .bind(id)
            .bind(tenant)
            .bind(to.as_str())
            .bind(run)
            .bind(detail)
            .bind(now_ms())
            .bind(i64::from(fresh));
        for state in states {
            query = query.bind(state);
        }
        let done = query.execute(&self.pool).await?;
        self.changed(Change::Rollout(id));
        Ok(done.rows_affected() > 0)
    }

    /// Records `run` as the one moving running tenant `tenant`.
    pub async fn follow_rollout_run(&self, (id, tenant): (i64, &str), run: i64) -> Result<bool> {
        self.move_rollout_tenant(
            (id, tenant),
            &[RolloutTenantState::Running],
            RolloutTenantState::Running,
            (Some(run), None),
        )
        .await
    }

    /// The newest run of `tenant` that rollout `id` started since `since`
    /// (ms), if any.
    pub async fn rollout_run_of(&self, id: i64, tenant: &str, since: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(id) FROM provisioning_runs WHERE tenant_id = $1 AND rollout_id = $2 \
             AND created_at >= $3",
        )
        .bind(tenant)
        .bind(id)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }
}

fn dto(r: RolloutRow, tenants: Vec<RolloutTenantDto>) -> RolloutDto {
    RolloutDto {
        id: r.id,
        application: r.application,
        release: r.release_number,
        template_id: r.template_id,
        state: RolloutState::parse(&r.state).unwrap_or(RolloutState::Paused),
        reason: r.reason,
        wave: r.wave,
        waves: r.waves,
        parallelism: r.parallelism,
        soak_secs: r.soak_secs,
        soak_started_at: r.soak_started_at,
        created_at: r.created_at,
        created_by: r.created_by,
        updated_at: r.updated_at,
        tenants,
    }
}

impl Store {
    /// Every tenant of application `application_id` (on any of its plans,
    /// custom ones too), oldest first.
    pub async fn tenants_of_application(
        &self,
        application_id: i64,
    ) -> Result<Vec<app::dto::TenantDto>> {
        self.tenants_where(
            concat!(
                "t.template_id IN (SELECT tp.id FROM templates tp WHERE ",
                super::applications::application_of!(),
                " = $1) ORDER BY t.created_at, t.id"
            ),
            application_id,
        )
        .await
    }
}
