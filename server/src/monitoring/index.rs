//! What the cluster looks like now, per tenant, kept small: the watches
//! fold each of Tenantry's objects into a summary, each tenant's health is
//! derived again when one of its objects changes, and every change is told
//! as a typed [`IndexChange`] to whoever subscribes (the live stream, the
//! tenant states, the alert evaluator). An object counts for a tenant only
//! when it carries the tenant's label *and* lives in the tenant's own
//! namespace: a label copied onto a pod elsewhere changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::RwLock;
use std::time::Duration;

use app::domain::health::derive_health;
use app::dto::{CertificateDto, Health, HealthDto, PodDto, QuotaUseDto, TenantState};
use tokio::sync::{broadcast, watch};

use super::ready::{self, Target, Verdict};

pub(super) mod objects;
mod views;
use objects::TenantObjects;
pub use objects::{Item, Kind, Summary, TenantView, EVENTS_KEPT};

use crate::store::{now_ms, TenantStanding};

/// Tenants per health, and the tenants that need attention.
pub type HealthSummary = (Vec<(Health, i64)>, Vec<(String, HealthDto)>);

/// How far back restarts are counted.
pub const RESTART_WINDOW_MS: i64 = 10 * 60 * 1000;
/// Changes buffered per subscriber before it must catch up from the index.
const CHANGE_BUFFER: usize = 4096;

/// What changed, for whoever follows the index.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexChange {
    /// One of a tenant's objects changed (`pod`: its new summary, if a pod).
    Object {
        tenant: String,
        kind: Kind,
        name: String,
        pod: Option<PodDto>,
    },
    /// A tenant's health moved.
    Health {
        tenant: String,
        from: Option<Health>,
        to: Health,
        reason: Option<String>,
        at: i64,
    },
    /// The watches as a whole were lost (`false`) or are back (`true`).
    Watch { connected: bool, at: i64 },
}

/// Health, why, and since when it has been so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthNow {
    pub health: Health,
    pub reason: Option<String>,
    pub since: i64,
    /// The version of the tenant's record it was judged against (see
    /// [`TenantStanding`]): a state written from it must find the record
    /// still there.
    pub version: i64,
}

/// What the alert rules look at for one tenant.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantSnapshot {
    pub id: String,
    pub state: TenantState,
    pub health: Option<HealthNow>,
    pub pods: Vec<PodDto>,
    /// (pod, restarts within the last ten minutes).
    pub recent_restarts: Vec<(String, i32)>,
    pub quota: Vec<QuotaUseDto>,
    pub certificates: Vec<CertificateDto>,
}

/// Whether the watches feed the index now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchStatus {
    /// A cluster is connected and watches were started.
    pub started: bool,
    pub connected: bool,
    /// Since when the watches have been connected, or lost.
    pub since: Option<i64>,
}

/// Objects are held per (tenant label, namespace); only the pair whose
/// namespace is the tenant's own is ever read.
type Key = (String, String);

#[derive(Default)]
struct State {
    tenants: HashMap<Key, TenantObjects>,
    /// Each tenant's lifecycle state, namespace and record version, from
    /// the database.
    states: HashMap<String, (TenantState, String, i64)>,
    /// Whose each tenant namespace is (the same facts, the other way).
    by_namespace: HashMap<String, String>,
    /// The watches started, and whether each has listed and is watching.
    watching: BTreeMap<Kind, bool>,
    /// Since when every watch has been connected, or when one dropped.
    since: Option<i64>,
}

impl State {
    /// Keeps where a tenant stands; whether its record moved on.
    fn remember(&mut self, t: &TenantStanding) -> bool {
        let before = self.states.get(&t.id).map(|(_, old, v)| {
            if *old != t.namespace {
                self.by_namespace.remove(old);
            }
            *v
        });
        self.states
            .insert(t.id.clone(), (t.state, t.namespace.clone(), t.version));
        self.by_namespace.insert(t.namespace.clone(), t.id.clone());
        before.is_some_and(|v| v != t.version)
    }

    fn connected(&self) -> bool {
        !self.watching.is_empty() && self.watching.values().all(|w| *w)
    }

    fn key_of(&self, tenant: &str) -> Option<Key> {
        self.states
            .get(tenant)
            .map(|(_, ns, _)| (tenant.to_string(), ns.clone()))
    }

    fn counts(&self, key: &Key) -> bool {
        self.states
            .get(&key.0)
            .is_some_and(|(_, ns, _)| *ns == key.1)
    }
}

pub struct ClusterIndex {
    state: RwLock<State>,
    changes: broadcast::Sender<IndexChange>,
    /// Counts every change to any object, counted for a tenant or not:
    /// what the waits of provisioning steps look again on.
    moved: watch::Sender<u64>,
}

impl Default for ClusterIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl ClusterIndex {
    pub fn new() -> ClusterIndex {
        ClusterIndex {
            state: RwLock::new(State::default()),
            changes: broadcast::channel(CHANGE_BUFFER).0,
            moved: watch::channel(0).0,
        }
    }

    /// Follows the changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<IndexChange> {
        self.changes.subscribe()
    }

    /// Wakes whenever any object changed (see [`ClusterIndex::verdict`]).
    pub fn moved(&self) -> watch::Receiver<u64> {
        self.moved.subscribe()
    }

    /// Whether `target` in `namespace` (labelled for `tenant`) is ready, as
    /// far as the watches have told; whether the tenant is known yet or not.
    pub fn verdict(
        &self,
        (tenant, namespace): (&str, &str),
        target: Target<'_>,
        generation: i64,
    ) -> Verdict {
        self.state
            .read()
            .ok()
            .and_then(|s| {
                s.tenants
                    .get(&(tenant.to_string(), namespace.to_string()))
                    .map(|o| ready::verdict(&o.objects, target, generation))
            })
            .unwrap_or(Verdict::Waiting)
    }

    /// Waits until `target` (at `generation` or later) is ready or has
    /// failed; `None` when `timeout` passes first.
    pub async fn wait_for(
        &self,
        at: (&str, &str),
        (target, generation): (Target<'_>, i64),
        timeout: Duration,
    ) -> Option<Verdict> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut moved = self.moved();
        loop {
            moved.borrow_and_update();
            match self.verdict(at, target, generation) {
                Verdict::Waiting => {}
                done => return Some(done),
            }
            match tokio::time::timeout_at(deadline, moved.changed()).await {
                Ok(Ok(())) => {}
                // The index is gone (shutting down) or time is up.
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    fn tell(&self, change: IndexChange) {
        // Nobody following is fine.
        let _ = self.changes.send(change);
    }

    /// The lifecycle state and namespace the database holds for a tenant.
    pub fn set_state(&self, tenant: &TenantStanding) {
        if let Ok(mut s) = self.state.write() {
            let moved = s.remember(tenant);
            self.rederive(&mut s, &tenant.id, moved);
        }
    }

    pub fn load_states(&self, states: Vec<TenantStanding>) {
        if let Ok(mut s) = self.state.write() {
            for t in states {
                let moved = s.remember(&t);
                self.rederive(&mut s, &t.id, moved);
            }
        }
    }

    /// One object added, changed (`Some`) or deleted (`None`), by where it
    /// is: (tenant label, namespace, name).
    pub fn apply(&self, kind: Kind, at: (&str, &str, &str), item: Option<Item>) {
        let (tenant, namespace, name) = at;
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let key: Key = (tenant.to_string(), namespace.to_string());
        let objs = s.tenants.entry(key.clone()).or_default();
        let slot = (kind, name.to_string());
        if kind == Kind::Pod {
            let restarts = match &item {
                Some(Item::Pod(p, _)) => Some(p.restarts),
                _ => None,
            };
            objs.sample_restarts(name, restarts, now_ms());
        }
        let changed = match item {
            Some(i) => {
                objs.objects.get(&slot) != Some(&i) && {
                    objs.objects.insert(slot.clone(), i);
                    if kind == Kind::Event {
                        objs.trim_events();
                    }
                    true
                }
            }
            None => objs.objects.remove(&slot).is_some(),
        };
        if changed {
            self.moved.send_modify(|n| *n += 1);
        }
        // ReplicaSets only serve the waits: nobody follows them.
        if changed && s.counts(&key) && kind != Kind::ReplicaSet {
            self.announce(&s, &key, kind, name);
            if kind.moves_health() {
                self.rederive(&mut s, tenant, false);
            }
        }
    }

    /// A watch (re)listed: what it listed replaces what it held.
    pub fn replace(&self, kind: Kind, listed: Vec<Summary>) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let mut fresh: HashMap<Key, BTreeMap<(Kind, String), Item>> = HashMap::new();
        for o in listed {
            fresh
                .entry((o.tenant, o.namespace))
                .or_default()
                .insert((kind, o.name), o.item);
        }
        let mut touched: Vec<Key> = s.tenants.keys().cloned().collect();
        touched.extend(fresh.keys().cloned());
        touched.sort();
        touched.dedup();
        let now = now_ms();
        for key in touched {
            let objs = s.tenants.entry(key.clone()).or_default();
            let items = fresh.remove(&key).unwrap_or_default();
            let old: BTreeMap<(Kind, String), Item> = objs
                .objects
                .iter()
                .filter(|(k, _)| k.0 == kind)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if old == items {
                continue;
            }
            objs.objects.retain(|k, _| k.0 != kind);
            if kind == Kind::Pod {
                objs.restarts
                    .retain(|pod, _| items.contains_key(&(kind, pod.clone())));
                for ((_, name), item) in &items {
                    if let Item::Pod(p, _) = item {
                        objs.sample_restarts(name, Some(p.restarts), now);
                    }
                }
            }
            objs.objects.extend(items);
            if kind == Kind::Event {
                objs.trim_events();
            }
            self.moved.send_modify(|n| *n += 1);
            if s.counts(&key) && kind != Kind::ReplicaSet {
                self.announce(&s, &key, kind, "");
                if kind.moves_health() {
                    self.rederive(&mut s, &key.0, false);
                }
            }
        }
        s.tenants.retain(|_, o| !o.is_empty());
    }

    /// A watch of `kind` is about to start: until it has listed, the
    /// picture is not whole.
    pub fn register(&self, kind: Kind) {
        let absent = self
            .state
            .read()
            .is_ok_and(|s| !s.watching.contains_key(&kind));
        if absent {
            self.set_watching(kind, false);
        }
    }

    /// A watch of `kind` connected (listed) or lost its connection.
    /// Watches started that have not listed or are not connected now.
    pub fn stale_watches(&self) -> usize {
        self.state
            .read()
            .map(|s| s.watching.values().filter(|ok| !**ok).count())
            .unwrap_or(0)
    }

    pub fn set_watching(&self, kind: Kind, ok: bool) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let was = s.connected();
        s.watching.insert(kind, ok);
        let now = s.connected();
        if was != now {
            let at = now_ms();
            s.since = Some(at);
            self.tell(IndexChange::Watch { connected: now, at });
            if now {
                // Every watch has listed: what was held back is known now.
                let ids: Vec<String> = s.states.keys().cloned().collect();
                for id in ids {
                    self.rederive(&mut s, &id, false);
                }
            }
        }
    }

    /// Whether every watch is listed and watching.
    pub fn connected(&self) -> bool {
        self.state.read().map(|s| s.connected()).unwrap_or(false)
    }

    fn announce(&self, s: &State, key: &Key, kind: Kind, name: &str) {
        let pod = match kind {
            Kind::Pod => s
                .tenants
                .get(key)
                .and_then(|o| o.objects.get(&(Kind::Pod, name.to_string())))
                .and_then(|i| match i {
                    Item::Pod(p, _) => Some(p.clone()),
                    _ => None,
                }),
            _ => None,
        };
        self.tell(IndexChange::Object {
            tenant: key.0.clone(),
            kind,
            name: name.to_string(),
            pod,
        });
    }

    /// Recomputes a tenant's health and tells when it changed. A live
    /// tenant's health is held while any watch has not listed (at start, or
    /// after a lost connection): half a picture would call healthy tenants
    /// down.
    /// Judges a tenant's health again and tells when it changed, or when
    /// its record `moved` on (a state judged against the old record may
    /// not have been written: the follower tries again against the new).
    fn rederive(&self, s: &mut State, tenant: &str, moved: bool) {
        let (Some(&(state, _, version)), Some(key)) = (s.states.get(tenant), s.key_of(tenant))
        else {
            return;
        };
        if state.is_live() && !s.connected() {
            return;
        }
        let objs = s.tenants.entry(key).or_default();
        let (health, reason) = derive(state, objs);
        let before = objs.health.clone();
        // Unchanged: only the record's version is noted, unless the record
        // moved on while the tenant is live (judged again, and said so).
        let same = before
            .as_ref()
            .is_some_and(|b| b.health == health && b.reason == reason);
        if same && !(moved && state.is_live()) {
            if let Some(b) = objs.health.as_mut() {
                b.version = version;
            }
            return;
        }
        let at = now_ms();
        let since = match &before {
            Some(b) if b.health == health => b.since,
            _ => at,
        };
        objs.health = Some(HealthNow {
            health,
            reason: reason.clone(),
            since,
            version,
        });
        self.tell(IndexChange::Health {
            tenant: tenant.to_string(),
            from: before.map(|b| b.health),
            to: health,
            reason,
            at,
        });
    }
}

/// Whether a tenant's health comes from the cluster (rather than from its
/// lifecycle state alone).
fn derive(state: TenantState, objs: &TenantObjects) -> (Health, Option<String>) {
    derive_health(state, &objs.pods(), &objs.workloads())
}

#[cfg(test)]
mod tests;
