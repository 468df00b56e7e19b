//! Tenant states between runs follow health: a tenant whose health turns
//! healthy is active, one that turns degraded, critical or down is
//! degraded, with the reason; each transition is also kept in the tenant's
//! health history. Written only when something changed, and only by the
//! leader, so replicas never write the same thing twice.

use app::dto::{Health, TenantState};
use tokio::sync::broadcast::error::RecvError;

use super::index::IndexChange;
use super::Monitor;
use crate::replicas::Leadership;
use crate::store::Store;

/// The lifecycle state a health implies for a live tenant, if any.
pub fn state_for(health: Health) -> Option<TenantState> {
    match health {
        Health::Healthy => Some(TenantState::Active),
        Health::Degraded | Health::Critical | Health::Down => Some(TenantState::Degraded),
        _ => None,
    }
}

/// Follows health transitions and writes them, while this replica leads.
pub fn spawn_state_follower(monitor: &Monitor, store: Store, leader: Leadership) {
    let mut changes = monitor.index().subscribe();
    let index = std::sync::Arc::clone(monitor.index());
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(IndexChange::Health {
                    tenant,
                    from,
                    to,
                    reason,
                    at,
                }) => {
                    if !leader.is_leader() {
                        continue;
                    }
                    // The history keeps the transition as it happened; the
                    // state follows the index's verdict now, so a change
                    // read after a run wrote its tenant's state (a queue
                    // that fell behind) never writes an older picture over
                    // a newer one.
                    let now = index.health_now(&tenant);
                    let current = match &now {
                        Some(h) => (h.health, h.reason.as_deref()),
                        _ => (to, reason.as_deref()),
                    };
                    let change = (tenant.as_str(), from, to, reason.as_deref(), at);
                    if let Err(e) = record(&store, change, current).await {
                        tracing::warn!(tenant = %tenant, error = %e, "could not record a health change");
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    // Fell behind: bring every tenant's state up to date.
                    if !leader.is_leader() {
                        continue;
                    }
                    for s in index.snapshots(None) {
                        if let Some(h) = s.health {
                            let now = (h.health, h.reason.as_deref());
                            let _ = record(
                                &store,
                                (&s.id, None, h.health, h.reason.as_deref(), h.since),
                                now,
                            )
                            .await;
                        }
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Records a health transition in the history, and the state that the
/// health the index holds now implies.
async fn record(
    store: &Store,
    (tenant, from, to, reason, at): (&str, Option<Health>, Health, Option<&str>, i64),
    (now, why): (Health, Option<&str>),
) -> crate::error::Result<()> {
    if from != Some(to) {
        store.record_health(tenant, to, reason, at).await?;
    }
    if let Some(state) = state_for(now) {
        let live = [TenantState::Active, TenantState::Degraded];
        store
            .observe_tenant_if_changed(
                tenant,
                state,
                why.filter(|_| state == TenantState::Degraded),
                &live,
            )
            .await?;
    }
    Ok(())
}
