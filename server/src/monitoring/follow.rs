//! Tenant states between runs follow health: a tenant whose health turns
//! healthy is active, one that turns degraded, critical or down is
//! degraded, with the reason; each transition is also kept in the tenant's
//! health history. Written only when something changed, and only by the
//! leader, so replicas never write the same thing twice.

use app::domain::tenant_state::state_for;
use app::dto::{Health, TenantState};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::index::IndexChange;
use super::Monitor;
use crate::replicas::Leadership;
use crate::store::Store;

/// How long after a run wrote its tenant's state a health that
/// contradicts it waits before it is written. The run's last checks read
/// the API server; the index's picture comes through watches that may
/// still show what the run has just changed (the pods a resume scaled back
/// up): it gets this long to catch up before it may say otherwise.
pub const AFTER_RUN_GRACE: Duration = Duration::from_secs(5);

/// Follows health transitions and writes them, while this replica leads.
pub fn spawn_state_follower(monitor: &Monitor, store: Store, leader: Leadership) {
    let changes = monitor.index().subscribe();
    let index = std::sync::Arc::clone(monitor.index());
    tokio::spawn(follow(changes, index, store, (leader, AFTER_RUN_GRACE)));
}

/// The follower's loop (see [`spawn_state_follower`]).
pub(super) async fn follow(
    mut changes: tokio::sync::broadcast::Receiver<IndexChange>,
    index: std::sync::Arc<super::ClusterIndex>,
    store: Store,
    (leader, grace): (Leadership, Duration),
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
                // The state is written only while the tenant's record is
                // the one the health was judged against: a run that ended
                // meanwhile (a resume after a suspend) is newer than it.
                let now = index.health_now(&tenant);
                let current = now
                    .as_ref()
                    .filter(|_| index.connected())
                    .map(|h| (h.health, h.reason.as_deref(), h.version));
                // A verdict against a run that has just ended waits for the
                // watches to catch up (see `AFTER_RUN_GRACE`).
                if let Some(wait) = current.and_then(|c| contradicts_new_run(c, grace)) {
                    let (index, store, leader) = (index.clone(), store.clone(), leader.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        if leader.is_leader() {
                            judge_again(&index, &store, &tenant).await;
                        }
                    });
                    continue;
                }
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

/// How long a verdict that would turn a tenant degraded waits when the
/// record it was judged against was written less than `grace` ago (by a
/// run that has just ended); `None` to write it now.
fn contradicts_new_run(
    (health, _, version): (Health, Option<&str>, i64),
    grace: Duration,
) -> Option<Duration> {
    let grace = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    let left = version.saturating_add(grace) - crate::values::now_ms();
    (state_for(health) == Some(TenantState::Degraded) && left > 0)
        .then(|| Duration::from_millis(left.unsigned_abs()))
}

/// After the grace: the index's verdict now, written (with its history)
/// when it still says degraded; a recovery meanwhile was written as it
/// came.
async fn judge_again(index: &super::ClusterIndex, store: &Store, tenant: &str) {
    let Some(h) = index.health_now(tenant).filter(|_| index.connected()) else {
        return;
    };
    if state_for(h.health) != Some(TenantState::Degraded) {
        return;
    }
    let now = Some((h.health, h.reason.as_deref(), h.version));
    let change = (tenant, None, h.health, h.reason.as_deref(), h.since);
    if let Err(e) = record(store, change, now).await {
        tracing::warn!(tenant = %tenant, error = %e, "could not record a health change");
    }
}

/// Writes every tenant's state from the health the index holds now.
async fn reconcile(index: &super::ClusterIndex, store: &Store) {
    if !index.connected() {
        return;
    }
    for s in index.snapshots(None) {
        if let Some(h) = s.health {
            let now = Some((h.health, h.reason.as_deref(), h.version));
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
/// health the index holds now implies, judged against the tenant's record
/// at `version` (`None`: the index cannot tell now).
async fn record(
    store: &Store,
    (tenant, from, to, reason, at): (&str, Option<Health>, Health, Option<&str>, i64),
    now: Option<(Health, Option<&str>, i64)>,
) -> crate::error::Result<()> {
    if from != Some(to) {
        store.record_health(tenant, to, reason, at).await?;
    }
    if let Some((health, why, version)) = now {
        if let Some(state) = state_for(health) {
            let live = [TenantState::Active, TenantState::Degraded];
            let why = why.filter(|_| state == TenantState::Degraded);
            store
                .observe_tenant_if_changed(tenant, (state, why), &live, Some(version))
                .await?;
        }
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

    /// A store with the active tenant t1, and an index that knows it as its
    /// record says, with a ready database and `api` Deployment of 3 ready.
    async fn active_tenant(dir: &tempfile::TempDir) -> (Store, std::sync::Arc<ClusterIndex>) {
        let store = Store::connect(&format!("sqlite://{}/f.db", dir.path().display()))
            .await
            .expect("store");
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
                    release: None,
                    custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
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
        learn(&store, &index).await;
        index.apply(
            Kind::Pod,
            ("t1", NS, "db-0"),
            Some(pod("db-0", "database", true)),
        );
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(3));
        (store, index)
    }

    /// What the state loader does when the tenant's record changes.
    async fn learn(store: &Store, index: &ClusterIndex) {
        let t = store.get_tenant("t1").await.expect("tenant");
        index.set_state(&(&t).into());
    }

    fn api(ready: i32) -> Option<Item> {
        let w = WorkloadDto {
            kind: "Deployment".into(),
            name: "api".into(),
            component: "api".into(),
            desired: 3,
            ready,
        };
        Some(Item::Workload(w, Rollout::default()))
    }

    /// A follower whose verdicts against a run that has just ended wait
    /// `grace`.
    fn start(
        store: &Store,
        index: &std::sync::Arc<ClusterIndex>,
        grace: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let changes = index.subscribe();
        let leader = crate::replicas::Leadership::start(store);
        tokio::spawn(follow(
            changes,
            std::sync::Arc::clone(index),
            store.clone(),
            (leader, grace),
        ))
    }

    /// A run ends: the record moves on and the run writes Active.
    async fn run_ends(store: &Store) {
        let t = store.get_tenant("t1").await.expect("tenant");
        store
            .set_tenant_spec(
                "t1",
                ((t.template_id, t.template_version), t.release),
                (None, None),
                &t.custom_fields,
                ("run", ""),
            )
            .await
            .expect("the record moves on");
        store
            .observe_tenant("t1", TenantState::Active, None, &[])
            .await
            .expect("the run's state");
    }

    /// The state after the follower had time to act on what it heard
    /// (for "nothing is written").
    async fn settled(store: &Store) -> TenantState {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        state(store).await
    }

    /// The state once it is `want`, or what it is after 10 s (for "this is
    /// written": a loaded machine may take longer than `settled` waits).
    async fn becomes(store: &Store, want: TenantState) -> TenantState {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = state(store).await;
            if now == want || tokio::time::Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The resume flake: a health change queued while a watch was down
    /// (the index holding an older health) was written over the state the
    /// finished run had just written.
    #[tokio::test]
    async fn a_health_held_while_a_watch_is_down_never_overwrites_a_newer_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, index) = active_tenant(&dir).await;
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
            (leader, Duration::ZERO),
        ));
        assert_eq!(
            settled(&store).await,
            TenantState::Active,
            "the held health was not written"
        );
        // The watch is back: the picture is whole again, and stays healthy.
        index.set_watching(Kind::Event, true);
        assert_eq!(settled(&store).await, TenantState::Active);
        // A real degradation, seen whole, is written.
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(2));
        assert_eq!(
            becomes(&store, TenantState::Degraded).await,
            TenantState::Degraded
        );
        follower.abort();
    }

    /// The other resume flake: health judged against the tenant's record
    /// before a run ended (two of three api pods, as a suspend scaled them
    /// down) reached the store after the resume had written Active, and
    /// turned the tenant Degraded. A state judged against an older record
    /// is not written; judged again against the new record, it is.
    #[tokio::test]
    async fn a_health_judged_before_a_run_ended_never_overwrites_what_the_run_wrote() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, index) = active_tenant(&dir).await;
        // Runs end (the record moves on) and leave the tenant Active…
        run_ends(&store).await;
        // …while the index, not yet told, judges two of three ready (as a
        // suspend scaled them down) against the record as it was.
        let follower = start(&store, &index, Duration::ZERO);
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(2));
        assert_eq!(
            settled(&store).await,
            TenantState::Active,
            "a stale judgment was written"
        );
        // Once the index knows the new record, the same picture is judged
        // against it, and that is written: no transition is lost.
        learn(&store, &index).await;
        assert_eq!(
            becomes(&store, TenantState::Degraded).await,
            TenantState::Degraded
        );
        follower.abort();
    }

    /// The resume flake of this stop: the resume's checks saw every api
    /// replica ready and it wrote Active, but the index, learning the new
    /// record, still showed the replicas the suspend had scaled down, and
    /// its verdict turned the tenant Degraded until the watches caught up.
    /// A verdict against a run that has just ended waits the grace; what
    /// is still degraded after it is written.
    #[tokio::test]
    async fn a_verdict_against_a_run_that_just_ended_waits_for_the_watches() {
        let grace = Duration::from_secs(3);
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, index) = active_tenant(&dir).await;
        let follower = start(&store, &index, grace);
        run_ends(&store).await;
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(0));
        learn(&store, &index).await;
        assert_eq!(
            settled(&store).await,
            TenantState::Active,
            "written before the watches could catch up"
        );
        // They catch up: nothing contradicts the run any more.
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(3));
        tokio::time::sleep(grace + Duration::from_millis(300)).await;
        assert_eq!(state(&store).await, TenantState::Active);
        // A tenant still degraded after the grace is written degraded.
        run_ends(&store).await;
        index.apply(Kind::Deployment, ("t1", NS, "api"), api(1));
        learn(&store, &index).await;
        assert_eq!(
            becomes(&store, TenantState::Degraded).await,
            TenantState::Degraded
        );
        follower.abort();
    }
}
