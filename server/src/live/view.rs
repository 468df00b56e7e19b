//! What the cluster looks like now, per tenant, kept small: watches over
//! Tenantry's pods, Deployments and Jobs (selected by label, across tenant
//! namespaces) fold each object into a summary, derive each tenant's health,
//! and tell the hub what changed. An object counts for a tenant only when it
//! carries the tenant's label *and* lives in the tenant's own namespace: a
//! label copied onto a pod elsewhere changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use app::domain::health::derive_health;
use app::dto::{Health, HealthDto, PodDto, TenantState, WorkloadDto};
use serde_json::json;

use super::hub::Hub;
use crate::store::now_ms;

/// Tenants per health, and the tenants that need attention.
pub type HealthSummary = (Vec<(Health, i64)>, Vec<(String, HealthDto)>);

/// Which watch an object came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Pods,
    Deployments,
    Jobs,
}

impl Slot {
    pub const ALL: [Slot; 3] = [Slot::Pods, Slot::Deployments, Slot::Jobs];

    fn index(self) -> usize {
        self as usize
    }

    fn kind(self) -> &'static str {
        match self {
            Slot::Pods => "Pod",
            Slot::Deployments => "Deployment",
            Slot::Jobs => "Job",
        }
    }
}

/// An object's summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Pod(PodDto),
    Workload(WorkloadDto),
}

/// One object, ready to be folded in: where it belongs and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Its `tenantry.io/tenant` label.
    pub tenant: String,
    pub namespace: String,
    pub name: String,
    pub item: Item,
}

/// Objects are held per (tenant label, namespace); only the pair whose
/// namespace is the tenant's own is ever read.
type Key = (String, String);

#[derive(Default)]
struct TenantObjects {
    pods: BTreeMap<String, PodDto>,
    /// Keyed "<Kind>/<name>".
    workloads: BTreeMap<String, WorkloadDto>,
    health: Option<(Health, Option<String>)>,
}

#[derive(Default)]
struct State {
    tenants: HashMap<Key, TenantObjects>,
    /// Each tenant's lifecycle state and namespace, from the database.
    states: HashMap<String, (TenantState, String)>,
    /// Which watches have listed and are watching.
    watching: [bool; 3],
    /// Since when every watch has been connected, or when one dropped.
    since: Option<i64>,
    /// Whether any watch was ever started (a cluster is connected).
    started: bool,
}

impl State {
    fn connected(&self) -> bool {
        self.watching.iter().all(|w| *w)
    }

    /// The key of a tenant's own objects, once its namespace is known.
    fn key_of(&self, tenant: &str) -> Option<Key> {
        self.states
            .get(tenant)
            .map(|(_, ns)| (tenant.to_string(), ns.clone()))
    }

    /// Whether objects under `key` are the tenant's own.
    fn counts(&self, key: &Key) -> bool {
        self.states.get(&key.0).is_some_and(|(_, ns)| *ns == key.1)
    }
}

pub struct ClusterView {
    state: RwLock<State>,
    hub: Hub,
}

impl ClusterView {
    pub fn new(hub: Hub) -> ClusterView {
        ClusterView {
            state: RwLock::new(State::default()),
            hub,
        }
    }

    /// A tenant's health as of the last thing the watches said.
    pub fn health(&self, tenant: &str) -> HealthDto {
        let Ok(s) = self.state.read() else {
            return HealthDto::unknown("the live view is unavailable");
        };
        let (Some(&(state, _)), Some(key)) = (s.states.get(tenant), s.key_of(tenant)) else {
            return HealthDto::unknown("not known yet");
        };
        let empty = TenantObjects::default();
        let objs = s.tenants.get(&key).unwrap_or(&empty);
        let (health, mut reason) = objs.health.clone().unwrap_or_else(|| derive(state, objs));
        let connected = s.connected();
        if !s.started {
            reason = Some(match reason {
                Some(r) => format!("{r} (no cluster connected)"),
                None => "no cluster connected".into(),
            });
        } else if !connected {
            reason = Some(format!(
                "watch interrupted{}: health may be out of date",
                s.since
                    .map(|t| format!(" since {}", crate::store::format_ms(t)))
                    .unwrap_or_default()
            ));
        }
        HealthDto {
            health,
            reason,
            observed_at: if connected { Some(now_ms()) } else { s.since },
            stale: !connected,
        }
    }

    /// A tenant's pods and workloads, by name.
    pub fn objects(&self, tenant: &str) -> (Vec<PodDto>, Vec<WorkloadDto>) {
        self.state
            .read()
            .ok()
            .and_then(|s| {
                s.tenants.get(&s.key_of(tenant)?).map(|o| {
                    (
                        o.pods.values().cloned().collect(),
                        o.workloads.values().cloned().collect(),
                    )
                })
            })
            .unwrap_or_default()
    }

    /// The lifecycle state and namespace the database holds for a tenant.
    pub fn set_state(&self, tenant: &str, state: TenantState, namespace: &str) {
        if let Ok(mut s) = self.state.write() {
            s.states
                .insert(tenant.to_string(), (state, namespace.to_string()));
            self.rederive(&mut s, tenant);
        }
    }

    pub fn load_states(&self, states: Vec<(String, TenantState, String)>) {
        if let Ok(mut s) = self.state.write() {
            for (id, state, ns) in states {
                s.states.insert(id.clone(), (state, ns));
                self.rederive(&mut s, &id);
            }
        }
    }

    /// One object added, changed (`Some`) or deleted (`None`), by where it
    /// is: (tenant label, namespace, name).
    pub fn apply(&self, slot: Slot, at: (&str, &str, &str), item: Option<Item>) {
        let (tenant, namespace, name) = at;
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let key: Key = (tenant.to_string(), namespace.to_string());
        let objs = s.tenants.entry(key.clone()).or_default();
        let changed = match (slot, item) {
            (Slot::Pods, Some(Item::Pod(p))) => {
                objs.pods.get(name) != Some(&p) && {
                    objs.pods.insert(name.to_string(), p);
                    true
                }
            }
            (Slot::Pods, _) => objs.pods.remove(name).is_some(),
            (_, Some(Item::Workload(w))) => {
                let key = format!("{}/{name}", slot.kind());
                objs.workloads.get(&key) != Some(&w) && {
                    objs.workloads.insert(key, w);
                    true
                }
            }
            (_, _) => objs
                .workloads
                .remove(&format!("{}/{name}", slot.kind()))
                .is_some(),
        };
        if changed && s.counts(&key) {
            self.announce(&s, slot, &key, name);
            self.rederive(&mut s, tenant);
        }
    }

    /// A watch (re)listed: what it listed replaces what it held.
    pub fn replace(&self, slot: Slot, listed: Vec<Summary>) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let mut fresh: HashMap<Key, Vec<(String, Item)>> = HashMap::new();
        for o in listed {
            fresh
                .entry((o.tenant, o.namespace))
                .or_default()
                .push((o.name, o.item));
        }
        let mut touched: Vec<Key> = s.tenants.keys().cloned().collect();
        touched.extend(fresh.keys().cloned());
        touched.sort();
        touched.dedup();
        for key in touched {
            let objs = s.tenants.entry(key.clone()).or_default();
            let items = fresh.remove(&key).unwrap_or_default();
            let changed = match slot {
                Slot::Pods => {
                    let new: BTreeMap<String, PodDto> = items
                        .into_iter()
                        .filter_map(|(n, i)| match i {
                            Item::Pod(p) => Some((n, p)),
                            Item::Workload(_) => None,
                        })
                        .collect();
                    std::mem::replace(&mut objs.pods, new) != objs.pods
                }
                _ => {
                    let prefix = format!("{}/", slot.kind());
                    let old: Vec<(String, WorkloadDto)> = objs
                        .workloads
                        .iter()
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    objs.workloads.retain(|k, _| !k.starts_with(&prefix));
                    for (n, i) in items {
                        if let Item::Workload(w) = i {
                            objs.workloads.insert(format!("{prefix}{n}"), w);
                        }
                    }
                    let new: Vec<(String, WorkloadDto)> = objs
                        .workloads
                        .iter()
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    old != new
                }
            };
            if changed && s.counts(&key) {
                self.announce(&s, slot, &key, "");
                self.rederive(&mut s, &key.0);
            }
        }
        s.tenants
            .retain(|_, o| !(o.pods.is_empty() && o.workloads.is_empty() && o.health.is_none()));
    }

    /// A watch connected (listed) or lost its connection.
    pub fn set_watching(&self, slot: Slot, ok: bool) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        s.started = true;
        let was = s.connected();
        s.watching[slot.index()] = ok;
        let now = s.connected();
        if was != now {
            s.since = Some(now_ms());
            self.hub
                .publish("tenants", "watch", json!({ "connected": now }));
            self.hub
                .publish("alerts", "watch", json!({ "connected": now }));
        }
    }

    /// Whether every watch is listed and watching.
    pub fn connected(&self) -> bool {
        self.state.read().map(|s| s.connected()).unwrap_or(false)
    }

    /// Tenants per health, and up to `limit` tenants that need attention
    /// (degraded, critical or down), worst first.
    pub fn health_summary(&self, limit: usize) -> HealthSummary {
        let ids: Vec<String> = match self.state.read() {
            Ok(s) => s.states.keys().cloned().collect(),
            Err(_) => return (vec![], vec![]),
        };
        let mut counts: BTreeMap<&'static str, (Health, i64)> = BTreeMap::new();
        let mut bad = Vec::new();
        for id in ids {
            let h = self.health(&id);
            counts.entry(h.health.as_str()).or_insert((h.health, 0)).1 += 1;
            let rank = match h.health {
                Health::Down => 0,
                Health::Critical => 1,
                Health::Degraded => 2,
                _ => continue,
            };
            bad.push((rank, id, h));
        }
        bad.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let alerts = bad
            .into_iter()
            .take(limit)
            .map(|(_, id, h)| (id, h))
            .collect();
        (counts.into_values().collect(), alerts)
    }

    /// How many pods and workloads the view holds (for the benchmark).
    pub fn size(&self) -> (usize, usize) {
        self.state
            .read()
            .map(|s| {
                s.tenants.values().fold((0, 0), |(p, w), o| {
                    (p + o.pods.len(), w + o.workloads.len())
                })
            })
            .unwrap_or_default()
    }

    fn announce(&self, s: &State, slot: Slot, key: &Key, name: &str) {
        let tenant = &key.0;
        let pod = match slot {
            Slot::Pods => s
                .tenants
                .get(key)
                .and_then(|o| o.pods.get(name))
                .map(|p| json!(p)),
            _ => None,
        };
        self.hub.publish(
            format!("tenant:{tenant}"),
            "objects",
            json!({ "tenant_id": tenant, "kind": slot.kind(), "name": name, "pod": pod }),
        );
    }

    /// Recomputes a tenant's health and announces it when it changed.
    fn rederive(&self, s: &mut State, tenant: &str) {
        let (Some(&(state, _)), Some(key)) = (s.states.get(tenant), s.key_of(tenant)) else {
            return;
        };
        let objs = s.tenants.entry(key).or_default();
        let next = derive(state, objs);
        if objs.health.as_ref() == Some(&next) {
            return;
        }
        let bad = |h: Option<&(Health, Option<String>)>| {
            matches!(
                h.map(|x| x.0),
                Some(Health::Degraded | Health::Critical | Health::Down)
            )
        };
        let alert = bad(Some(&next)) && !bad(objs.health.as_ref());
        objs.health = Some(next.clone());
        let data = json!({ "tenant_id": tenant, "health": next.0, "reason": next.1 });
        self.hub
            .publish(format!("tenant:{tenant}"), "health", data.clone());
        self.hub.publish("tenants", "health", data.clone());
        if alert {
            self.hub.publish("alerts", "health", data);
        }
    }
}

fn derive(state: TenantState, objs: &TenantObjects) -> (Health, Option<String>) {
    let pods: Vec<PodDto> = objs.pods.values().cloned().collect();
    let workloads: Vec<WorkloadDto> = objs.workloads.values().cloned().collect();
    derive_health(state, &pods, &workloads)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(component: &str, ready: bool) -> Item {
        Item::Pod(PodDto {
            name: format!("{component}-0"),
            component: component.into(),
            phase: "Running".into(),
            ready,
            restarts: 0,
            reason: (!ready).then(|| "CrashLoopBackOff".to_string()),
            created_at: None,
        })
    }

    const NS: &str = "tenant-t1";

    #[tokio::test]
    async fn objects_outside_the_tenants_namespace_never_count() {
        let hub = Hub::new();
        let view = ClusterView::new(hub.clone());
        for slot in Slot::ALL {
            view.set_watching(slot, true);
        }
        // Seen before the tenant is known: held apart until then.
        view.apply(
            Slot::Pods,
            ("t1", "elsewhere", "db-0"),
            Some(pod("database", true)),
        );
        view.set_state("t1", TenantState::Active, NS);
        let (mut rx, _) = hub.subscribe(None);
        view.apply(
            Slot::Pods,
            ("t1", "other-team", "db-1"),
            Some(pod("database", true)),
        );
        assert_eq!(
            view.health("t1").health,
            Health::Down,
            "no database pod of its own"
        );
        assert!(view.objects("t1").0.is_empty());
        assert!(rx.try_recv().is_err(), "a foreign pod announces nothing");
        view.apply(Slot::Pods, ("t1", NS, "db-0"), Some(pod("database", true)));
        assert_eq!(view.health("t1").health, Health::Healthy);
        assert_eq!(view.objects("t1").0.len(), 1);
        // A relist keeps the two apart too.
        let listed = |ns: &str, name: &str| Summary {
            tenant: "t1".into(),
            namespace: ns.into(),
            name: name.into(),
            item: pod("api", false),
        };
        view.replace(Slot::Pods, vec![listed("other-team", "api-0")]);
        assert_eq!(view.health("t1").health, Health::Down);
        view.replace(Slot::Pods, vec![listed(NS, "api-0"), listed("x", "db-9")]);
        assert_eq!(view.objects("t1").0.len(), 1);
    }

    #[tokio::test]
    async fn object_changes_rederive_health_and_announce_only_real_changes() {
        let hub = Hub::new();
        let view = ClusterView::new(hub.clone());
        let (mut rx, _) = hub.subscribe(None);
        for slot in Slot::ALL {
            view.set_watching(slot, true);
        }
        view.set_state("t1", TenantState::Active, NS);
        assert_eq!(view.health("t1").health, Health::Down);
        view.apply(
            Slot::Pods,
            ("t1", NS, "database-0"),
            Some(pod("database", true)),
        );
        assert_eq!(view.health("t1").health, Health::Healthy);
        assert!(!view.health("t1").stale);
        view.apply(Slot::Pods, ("t1", NS, "api-0"), Some(pod("api", false)));
        let h = view.health("t1");
        assert_eq!(h.health, Health::Degraded);
        assert!(h.reason.unwrap_or_default().contains("CrashLoopBackOff"));
        let mut kinds = vec![];
        while let Ok(n) = rx.try_recv() {
            kinds.push(format!("{}/{}", n.event.topic, n.event.kind));
        }
        // The same object again changes nothing and says nothing.
        view.apply(Slot::Pods, ("t1", NS, "api-0"), Some(pod("api", false)));
        assert!(rx.try_recv().is_err());
        assert!(kinds.contains(&"alerts/health".to_string()), "{kinds:?}");
        assert!(kinds.contains(&"tenant:t1/objects".to_string()));
        // A lost watch makes health say it may be stale.
        view.set_watching(Slot::Jobs, false);
        let h = view.health("t1");
        assert!(h.stale);
        assert!(h.reason.unwrap_or_default().contains("out of date"));
        // A relist replaces what was held.
        view.replace(Slot::Pods, vec![]);
        assert_eq!(view.objects("t1").0.len(), 0);
    }
}
