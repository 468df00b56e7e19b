//! Tenant states between runs follow health: a tenant whose health turns
//! healthy is active, one that turns degraded, critical or down is
//! degraded, with the reason; each transition is also kept in the tenant's
//! health history. Written only when something changed, and only by the
//! leader, so replicas never write the same thing twice.

use app::domain::tenant_state::state_for;
use app::dto::{Health, TenantState};
use tokio::sync::broadcast::error::RecvError;

use super::index::IndexChange;
use super::Monitor;
use crate::replicas::Leadership;
use crate::store::Store;

/// Follows health transitions and writes them, while this replica leads.
pub fn spawn_state_follower(monitor: &Monitor, store: Store, leader: Leadership) {
    let changes = monitor.index().subscribe();
    let index = std::sync::Arc::clone(monitor.index());
    tokio::spawn(follow(changes, index, store, leader));
}

/// The follower's loop (see [`spawn_state_follower`]).
pub(super) async fn follow(
    mut changes: tokio::sync::broadcast::Receiver<IndexChange>,
    index: std::sync::Arc<super::ClusterIndex>,
    store: Store,
    leader: Leadership,
) {
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
                // state follows the index's verdict now, so a change read
                // after a run wrote its tenant's state (a queue that fell
                // behind) never writes an older picture over a newer one.
                // While a watch is down the index holds each tenant's last
                // health rather than judge half a picture: that held health
                // may be older than what a run's wait just saw, so no state
                // is written from it; the watches' return reconciles all.
                let now = index.health_now(&tenant);
                let current = index.connected().then_some(match &now {
                    Some(h) => (h.health, h.reason.as_deref()),
                    None => (to, reason.as_deref()),
                });
                let change = (tenant.as_str(), from, to, reason.as_deref(), at);
                if let Err(e) = record(&store, change, current).await {
                    tracing::warn!(tenant = %tenant, error = %e, "could not record a health change");
                }
            }
            // Back from a lost watch, or fell behind: bring every tenant's
            // state up to date from the picture as it is now.
            Ok(IndexChange::Watch {
                connected: true, ..
            })
            | Err(RecvError::Lagged(_)) => {
                if leader.is_leader() {
                    reconcile(&index, &store).await;
                }
            }
            Ok(_) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

/// Writes every tenant's state from the health the index holds now.
async fn reconcile(index: &super::ClusterIndex, store: &Store) {
    if !index.connected() {
        return;
    }
    for s in index.snapshots(None) {
        if let Some(h) = s.health {
            let now = Some((h.health, h.reason.as_deref()));
            let _ = record(
                store,
                (&s.id, None, h.health, h.reason.as_deref(), h.since),
                now,
            )
            .await;
        }
    }
}

/// Records a health transition in the history, and the state that the
/// health the index holds now implies (`None`: the index cannot tell now).
async fn record(
    store: &Store,
    (tenant, from, to, reason, at): (&str, Option<Health>, Health, Option<&str>, i64),
    now: Option<(Health, Option<&str>)>,
) -> crate::error::Result<()> {
    if from != Some(to) {
        store.record_health(tenant, to, reason, at).await?;
    }
    if let Some(state) = now.and_then(|(h, _)| state_for(h)) {
        let why = now.and_then(|(_, why)| why);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::index::{Item, Kind};
    use crate::monitoring::ready::{PodOrigin, Rollout};
    use crate::monitoring::ClusterIndex;
    use app::dto::{PodDto, WorkloadDto};

    const NS: &str = "tenant-t1";

    fn pod(name: &str, component: &str, ready: bool) -> Item {
        Item::Pod(
            PodDto {
                name: name.into(),
                component: component.into(),
                phase: "Running".into(),
                ready,
                restarts: 0,
                reason: None,
                created_at: None,
            },
            PodOrigin::default(),
        )
    }

    async fn state(store: &Store) -> TenantState {
        store.get_tenant("t1").await.expect("tenant").state
    }

    /// The resume flake: a health change queued while a watch was down
    /// (the index holding an older health) was written over the state the
    /// finished run had just written.
    #[tokio::test]
    async fn a_health_held_while_a_watch_is_down_never_overwrites_a_newer_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::connect(&format!("sqlite://{}/f.db", dir.path().display()))
            .await
            .expect("store");
        store.seed_templates_if_empty().await.expect("seed");
        let template = store.list_templates().await.expect("templates")[0].id;
        let fields = app::domain::tenant_rules::ValidTenantFields {
            company_name: "T1".into(),
            owner_email: "o@example.com".into(),
            owner_name: "O".into(),
            custom_domain: None,
        };
        store
            .insert_tenant(
                crate::store::NewTenantRecord {
                    id: "t1",
                    namespace: NS,
                    fields: &fields,
                    template_id: template,
                },
                "alice",
            )
            .await
            .expect("tenant");
        store
            .observe_tenant("t1", TenantState::Active, None, &[])
            .await
            .expect("active");

        let index = std::sync::Arc::new(ClusterIndex::new());
        for kind in Kind::ALWAYS {
            index.set_watching(kind, true);
        }
        index.set_state("t1", TenantState::Active, NS);
        let api = |ready: i32| {
            let w = WorkloadDto {
                kind: "Deployment".into(),
                name: "api".into(),
                component: "api".into(),
                desired: 3,
                ready,
            };
            Some(Item::Workload(w, Rollout::default()))
        };
        index.apply(
            Kind::Pod,
            ("t1", NS, "db-0"),
            Some(pod("db-0", "database", true)),
        );
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(3));
        let changes = index.subscribe();
        // Two of three api replicas ready: a Degraded change is queued…
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(2));
        // …a watch goes down (health is held), the third turns ready, and
        // the run that waited for it writes Active.
        index.set_watching(Kind::Event, false);
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(3));
        store
            .observe_tenant("t1", TenantState::Active, None, &[])
            .await
            .expect("run");

        let leader = crate::replicas::Leadership::start(&store);
        let follower = tokio::spawn(follow(
            changes,
            std::sync::Arc::clone(&index),
            store.clone(),
            leader,
        ));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            state(&store).await,
            TenantState::Active,
            "the held health was not written"
        );
        // The watch is back: the picture is whole again, and stays healthy.
        index.set_watching(Kind::Event, true);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(state(&store).await, TenantState::Active);
        // A real degradation, seen whole, is written.
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(2));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(state(&store).await, TenantState::Degraded);
        follower.abort();
    }
}
