//! How long history is kept: finished runs (with their steps and attempts)
//! and audit events older than the configured days go, except each
//! tenant's latest run (its state and alerts read it) and security events
//! (kept for good; see `app::domain::audit`).

use super::{AuditEntry, Store, SYSTEM};
use crate::error::Result;

/// The SQL condition "this audit event is not a security event". The names
/// are constants (checked plain by their unit test), never input.
pub(super) fn not_security_event() -> String {
    use app::domain::audit::{FORCED_SUFFIX, SECURITY_ACTIONS};
    let kept = SECURITY_ACTIONS
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("action NOT IN ({kept}) AND action NOT LIKE '%{FORCED_SUFFIX}'")
}

/// What one pass of retention removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub runs: u64,
    pub audit_events: u64,
}

impl Store {
    /// Removes finished runs that ended before `runs_before` and ordinary
    /// audit events written before `audit_before` (ms; `None` keeps all),
    /// and records what went as an audit event of its own.
    pub async fn apply_retention(
        &self,
        runs_before: Option<i64>,
        audit_before: Option<i64>,
    ) -> Result<Pruned> {
        let mut tx = self.begin().await?;
        let mut out = Pruned::default();
        if let Some(before) = runs_before {
            out.runs = sqlx::query(
                "DELETE FROM provisioning_runs WHERE finished_at IS NOT NULL AND finished_at < $1 \
                 AND state IN ('completed', 'failed', 'cancelled') \
                 AND id NOT IN (SELECT MAX(id) FROM provisioning_runs GROUP BY tenant_id)",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if let Some(before) = audit_before {
            out.audit_events = sqlx::query(&format!(
                "DELETE FROM audit_events WHERE at < $1 AND {}",
                not_security_event()
            ))
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if out != Pruned::default() {
            AuditEntry::new(SYSTEM, "retention.pruned", "console", "history")
                .detail(format!(
                    "{} finished run(s) and {} audit event(s) past their retention removed; security events and each tenant's latest run kept",
                    out.runs, out.audit_events
                ))
                .write(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// The leader applies retention every hour (nothing when both are `None`).
pub fn spawn_retention(
    store: Store,
    (runs_days, audit_days): (Option<u32>, Option<u32>),
    leader: crate::replicas::Leadership,
) {
    if runs_days.is_none() && audit_days.is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if !leader.is_leader() {
                continue;
            }
            let before =
                |days: Option<u32>| days.map(|d| super::now_ms() - i64::from(d) * 86_400_000);
            match store
                .apply_retention(before(runs_days), before(audit_days))
                .await
            {
                Ok(p) if p != Pruned::default() => {
                    tracing::info!(
                        runs = p.runs,
                        audit_events = p.audit_events,
                        "retention applied"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not apply retention"),
            }
        }
    });
}
