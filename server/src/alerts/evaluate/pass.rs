//! When evaluations run: on the index's changes (only the tenants that
//! changed, gathered briefly), every few minutes for every tenant, and only
//! while this replica leads.

use super::*;

/// Runs the evaluator while this replica leads: dirty tenants a tenth
/// of a second after the changes that touched them (health at once), the
/// time-bound ones every few seconds, every tenant every few minutes.
pub fn spawn_evaluator(mut evaluator: Evaluator, leader: crate::replicas::Leadership) {
    let mut changes = evaluator.index.subscribe();
    let mut writes = evaluator.store.changes();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVALUATE_EVERY);
        let mut read = tokio::time::interval(
            evaluator
                .prometheus
                .as_ref()
                .map_or(READ_EVERY, |p| p.every),
        );
        let reads = evaluator.prometheus.is_some();
        let mut dirty: HashSet<String> = HashSet::new();
        // When every tenant was last evaluated by this replica as leader.
        let mut all_at: Option<Instant> = None;
        loop {
            let mut missed = false;
            tokio::select! {
                _ = tick.tick() => {}
                _ = read.tick(), if reads => {
                    // New readings may move any tenant's alerts.
                    if leader.is_leader() {
                        if let Err(e) = evaluator.read_metrics().await {
                            tracing::warn!(error = %e, "could not ask Prometheus");
                        }
                        missed = true;
                    }
                }
                got = changes.recv() => {
                    let gather = matches!(got, Ok(IndexChange::Object { .. }));
                    let mut next = Some(got);
                    if gather {
                        // Object churn comes in bursts: gather it a moment.
                        tokio::time::sleep(GATHER).await;
                    }
                    while let Some(got) = next {
                        match got {
                            Ok(IndexChange::Object { tenant, .. })
                            | Ok(IndexChange::Health { tenant, .. }) => {
                                dirty.insert(tenant);
                            }
                            Ok(IndexChange::Watch { .. }) => {}
                            Err(RecvError::Lagged(_)) => missed = true,
                            Err(RecvError::Closed) => return,
                        }
                        next = match changes.try_recv() {
                            Ok(c) => Some(Ok(c)),
                            Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                            Err(_) => None,
                        };
                    }
                }
                got = writes.recv() => {
                    let mut next = Some(got);
                    while let Some(got) = next {
                        match got {
                            Ok(Change::Run(run)) => {
                                if let Ok(Some(t)) = evaluator.store.run_tenant(run).await {
                                    dirty.insert(t);
                                }
                            }
                            Ok(Change::Tenant(t)) => {
                                dirty.insert(t);
                            }
                            Ok(Change::Resync) | Err(RecvError::Lagged(_)) => missed = true,
                            Ok(Change::Alert(_) | Change::Rollout(_)) => {}
                            Err(RecvError::Closed) => return,
                        }
                        next = writes.try_recv().ok().map(Ok);
                    }
                }
            }
            if !leader.is_leader() {
                dirty.clear();
                all_at = None;
                continue;
            }
            let everything = missed
                || dirty.len() > MAX_SCOPE
                || all_at.is_none_or(|t| t.elapsed() >= EVALUATE_ALL_EVERY);
            let started = Instant::now();
            let done = if everything {
                all_at = Some(Instant::now());
                evaluator.evaluate_scope(None).await.map(|_| None)
            } else {
                match evaluator.scope_with(std::mem::take(&mut dirty)).await {
                    Ok(scope) => evaluator
                        .evaluate_scope(Some(&scope))
                        .await
                        .map(|_| Some(scope.len())),
                    Err(e) => Err(e),
                }
            };
            dirty.clear();
            match done {
                Ok(tenants) => tracing::debug!(
                    tenants = tenants.map_or_else(|| "all".to_string(), |n| n.to_string()),
                    micros = started.elapsed().as_micros() as u64,
                    "alert rules evaluated"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "alert evaluation failed; trying again shortly")
                }
            }
        }
    });
}
