//! The alert evaluator, run by the leader alone. A change the cluster
//! index tells, or a run or tenant written, makes the tenants it touched
//! *dirty*; every few seconds (and a tenth of a second after a burst
//! of changes) the dirty tenants are evaluated together with the few whose
//! alerts can move with time alone (open alerts, open runs, recent
//! restarts), so the cost follows what changed, not the fleet. Every few
//! minutes, and after missed changes, every tenant is evaluated. Each pass
//! works out which conditions hold under the effective rules and moves
//! each alert on: open it pending, fire it once its `for` has passed,
//! resolve it when its condition clears, repeat what stays firing.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use app::domain::alerts::{
    effective, effective_expression, global_conditions, info, tenant_conditions, transition,
    Condition, GlobalFacts, RuleOverride, RunFact, TenantFacts, Transition,
};
use app::domain::stats::run_time_limit;
use app::dto::{Operation, RuleId, RuleSettings, RunState};

use super::prometheus::{Ask, Prometheus, Readings, READ_EVERY};
use crate::error::Result;
use crate::monitoring::{ClusterIndex, IndexChange};
use crate::provisioning::EngineSlot;
use crate::store::{Change, OpenAlert, Store};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// How often conditions are looked at even when nothing changed.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(5);
/// How often every tenant is evaluated (certificate expiry moves with the
/// calendar, not with changes).
const EVALUATE_ALL_EVERY: Duration = Duration::from_secs(300);
/// Beyond this many tenants a scoped pass evaluates every tenant instead.
const MAX_SCOPE: usize = 500;
/// How long object changes are gathered before a pass (health changes are
/// evaluated at once).
const GATHER: Duration = Duration::from_millis(100);
/// How long the run-time limits (from the last 100 runs) are reused.
const LIMITS_FOR: Duration = Duration::from_secs(60);
/// How often the API server is asked whether it answers.
const PROBE_EVERY: Duration = Duration::from_secs(15);
/// Completed runs per operation the run-time limit is computed from.
const RUN_HISTORY: i64 = 100;

/// Rule settings per (template, tenant) from the overrides.
mod inputs;
mod pass;

pub use pass::spawn_evaluator;

struct Rules {
    by_template: HashMap<(String, RuleId), RuleOverride>,
    by_tenant: HashMap<(String, RuleId), RuleOverride>,
}

impl Rules {
    async fn load(store: &Store) -> Result<Rules> {
        let mut r = Rules {
            by_template: HashMap::new(),
            by_tenant: HashMap::new(),
        };
        for (scope, id, rule, o) in store.rule_overrides().await? {
            match scope.as_str() {
                "template" => r.by_template.insert((id, rule), o),
                _ => r.by_tenant.insert((id, rule), o),
            };
        }
        Ok(r)
    }

    fn for_tenant(&self, tenant: &str, template: Option<i64>, rule: RuleId) -> RuleSettings {
        let t = template.and_then(|t| self.by_template.get(&(t.to_string(), rule)));
        effective(rule, t, self.by_tenant.get(&(tenant.to_string(), rule)))
    }

    fn expression(&self, tenant: &str, template: Option<i64>, rule: RuleId) -> Option<String> {
        let t = template.and_then(|t| self.by_template.get(&(t.to_string(), rule)));
        effective_expression(rule, t, self.by_tenant.get(&(tenant.to_string(), rule)))
    }
}

/// What the evaluator keeps between rounds.
pub struct Evaluator {
    store: Store,
    index: std::sync::Arc<ClusterIndex>,
    engine: EngineSlot,
    cluster_configured: bool,
    probed: Option<(Instant, Option<String>)>,
    limits: Option<(Instant, HashMap<Operation, i64>)>,
    /// The tenants' own metrics, when a Prometheus is configured, and what
    /// it said last.
    prometheus: Option<Prometheus>,
    readings: Readings,
}

impl Evaluator {
    pub fn new(
        store: Store,
        index: std::sync::Arc<ClusterIndex>,
        engine: EngineSlot,
        cluster_configured: bool,
    ) -> Evaluator {
        Evaluator {
            store,
            index,
            engine,
            cluster_configured,
            probed: None,
            limits: None,
            prometheus: None,
            readings: Readings::new(),
        }
    }

    /// Reads the rules that need them from `prometheus`.
    pub fn with_prometheus(mut self, prometheus: Option<Prometheus>) -> Evaluator {
        self.prometheus = prometheus;
        self
    }

    /// One pass over every tenant. Returns the conditions found (for tests
    /// and benchmarks).
    pub async fn evaluate(&mut self) -> Result<Vec<Condition>> {
        self.evaluate_scope(None).await
    }

    /// The tenants whose alerts can move with time alone, plus `dirty`.
    pub async fn scope_with(&self, dirty: HashSet<String>) -> Result<HashSet<String>> {
        let mut scope = dirty;
        for a in self.store.open_alerts().await? {
            scope.extend(a.tenant_id);
        }
        scope.extend(self.store.tenants_with_open_runs().await?);
        scope.extend(self.index.restarting());
        Ok(scope)
    }

    /// One pass over the tenants in `scope` (every tenant when `None`), and
    /// the console-wide rules.
    pub async fn evaluate_scope(
        &mut self,
        scope: Option<&HashSet<String>>,
    ) -> Result<Vec<Condition>> {
        let ids: Option<Vec<String>> = scope.map(|s| s.iter().cloned().collect());
        let rules = Rules::load(&self.store).await?;
        let templates: HashMap<String, i64> = self
            .store
            .tenant_templates(ids.as_deref())
            .await?
            .into_iter()
            .collect();
        let latest: HashMap<String, crate::store::LatestRun> = self
            .store
            .latest_runs(ids.as_deref())
            .await?
            .into_iter()
            .map(|r| (r.tenant_id.clone(), r))
            .collect();
        let limits = self.run_limits().await?;
        let backups = self.store.backup_watch(ids.as_deref()).await?;
        let now = crate::store::now_ms();
        let mut conditions = vec![];
        for s in self.index.snapshots(scope) {
            let template = templates.get(&s.id).copied();
            let settings = |rule: RuleId| rules.for_tenant(&s.id, template, rule);
            let run = latest.get(&s.id);
            let live = s.state.is_live();
            let fact = |r: &crate::store::LatestRun, detail: String| RunFact {
                id: r.id,
                operation: r.operation,
                detail,
                started_at: r.started_at.unwrap_or(now),
            };
            let facts = TenantFacts {
                id: &s.id,
                health: s
                    .health
                    .as_ref()
                    .filter(|_| live)
                    .map(|h| (h.health, h.reason.as_deref(), h.since)),
                pods: if live { &s.pods } else { &[] },
                recent_restarts: &s.recent_restarts,
                quota: &s.quota,
                certificates: &s.certificates,
                failed_run: run
                    .filter(|r| r.state == RunState::Failed)
                    .map(|r| fact(r, r.failure.clone().unwrap_or_default())),
                running_run: run
                    .filter(|r| r.state == RunState::Running)
                    .map(|r| fact(r, String::new())),
                metrics: &if live { self.metrics_of(&s.id) } else { vec![] },
                backup: backups.get(&s.id).copied().filter(|_| live),
            };
            let limit = |op: Operation| limits.get(&op).copied().unwrap_or(30 * 60_000);
            conditions.extend(tenant_conditions(&facts, &settings, &limit, now));
        }
        let watch = self.index.watch_status();
        let global = GlobalFacts {
            cluster_configured: self.cluster_configured,
            cluster_error: if self.cluster_configured {
                self.cluster_error().await
            } else {
                None
            },
            watches_started: watch.started,
            watches_connected: watch.connected,
            watches_since: watch.since,
        };
        conditions.extend(global_conditions(&global, &|r| info(r).defaults));
        let for_secs = |c: &Condition| match &c.tenant {
            Some(t) => {
                rules
                    .for_tenant(t, templates.get(t).copied(), c.rule)
                    .for_secs
            }
            None => info(c.rule).defaults.for_secs,
        };
        self.reconcile(&conditions, scope, &for_secs, now).await?;
        self.store.enqueue_repeats().await?;
        Ok(conditions)
    }

    /// Moves the alerts of the tenants in `scope` (and the console-wide
    /// ones) on, given the conditions that hold for them.
    async fn reconcile(
        &self,
        conditions: &[Condition],
        scope: Option<&HashSet<String>>,
        for_secs: &(dyn Fn(&Condition) -> i64 + Sync),
        now: i64,
    ) -> Result<()> {
        let in_scope = |a: &OpenAlert| match (&a.tenant_id, scope) {
            (Some(t), Some(s)) => s.contains(t),
            _ => true,
        };
        let open: HashMap<String, OpenAlert> = self
            .store
            .open_alerts()
            .await?
            .into_iter()
            .filter(in_scope)
            .map(|a| (a.fingerprint.clone(), a))
            .collect();
        for c in conditions {
            let fp = c.fingerprint();
            let existing = open.get(&fp);
            let since = c
                .since
                .unwrap_or_else(|| existing.map_or(now, |a| a.started_at));
            match transition(existing.map(|a| a.state), true, since, for_secs(c), now) {
                Transition::Pend => {
                    self.store.open_alert(c, false).await?;
                }
                Transition::Fire => match existing {
                    Some(a) => {
                        self.store.fire_alert(a.id, c.severity, &c.summary).await?;
                    }
                    None => {
                        self.store.open_alert(c, true).await?;
                    }
                },
                Transition::Stay => {
                    if let Some(a) = existing {
                        if a.severity != c.severity || a.summary != c.summary {
                            self.store.revise_alert(a, c.severity, &c.summary).await?;
                        }
                    }
                }
                Transition::Resolve => {}
            }
        }
        let holding: std::collections::HashSet<String> =
            conditions.iter().map(Condition::fingerprint).collect();
        for (fp, a) in &open {
            if !holding.contains(fp) {
                self.store
                    .resolve_alert(a.id, None, Some("the condition cleared"))
                    .await?;
            }
        }
        Ok(())
    }
}
