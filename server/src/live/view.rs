//! What the cluster looks like now, per tenant, kept small: watches over
//! Tenantry's pods, Deployments and Jobs (selected by label, across tenant
//! namespaces) fold each object into a summary, derive each tenant's health,
//! and tell the hub what changed.

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

/// One object, ready to be folded in: (tenant, name, summary).
pub type Summary = (String, String, Item);

#[derive(Default)]
struct TenantObjects {
    pods: BTreeMap<String, PodDto>,
    /// Keyed "<Kind>/<name>".
    workloads: BTreeMap<String, WorkloadDto>,
    health: Option<(Health, Option<String>)>,
}

#[derive(Default)]
struct State {
    tenants: HashMap<String, TenantObjects>,
    states: HashMap<String, TenantState>,
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
        let Some(state) = s.states.get(tenant).copied() else {
            return HealthDto::unknown("not known yet");
        };
        let empty = TenantObjects::default();
        let objs = s.tenants.get(tenant).unwrap_or(&empty);
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
                s.tenants.get(tenant).map(|o| {
                    (
                        o.pods.values().cloned().collect(),
                        o.workloads.values().cloned().collect(),
                    )
                })
            })
            .unwrap_or_default()
    }

    /// The lifecycle state the database holds for a tenant.
    pub fn set_state(&self, tenant: &str, state: TenantState) {
        if let Ok(mut s) = self.state.write() {
            s.states.insert(tenant.to_string(), state);
            self.rederive(&mut s, tenant);
        }
    }

    pub fn load_states(&self, states: Vec<(String, TenantState)>) {
        if let Ok(mut s) = self.state.write() {
            for (id, state) in states {
                s.states.insert(id.clone(), state);
                self.rederive(&mut s, &id);
            }
        }
    }

    /// One object added, changed (`Some`) or deleted (`None`).
    pub fn apply(&self, slot: Slot, tenant: &str, name: &str, item: Option<Item>) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let objs = s.tenants.entry(tenant.to_string()).or_default();
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
        if changed {
            self.announce(&s, slot, tenant, name);
            self.rederive(&mut s, tenant);
        }
    }

    /// A watch (re)listed: what it listed replaces what it held.
    pub fn replace(&self, slot: Slot, listed: Vec<Summary>) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let mut fresh: HashMap<String, Vec<(String, Item)>> = HashMap::new();
        for (tenant, name, item) in listed {
            fresh.entry(tenant).or_default().push((name, item));
        }
        let mut touched: Vec<String> = s.tenants.keys().cloned().collect();
        touched.extend(fresh.keys().cloned());
        touched.sort();
        touched.dedup();
        for tenant in touched {
            let objs = s.tenants.entry(tenant.clone()).or_default();
            let items = fresh.remove(&tenant).unwrap_or_default();
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
            if changed {
                self.announce(&s, slot, &tenant, "");
                self.rederive(&mut s, &tenant);
            }
        }
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

    fn announce(&self, s: &State, slot: Slot, tenant: &str, name: &str) {
        let pod = match slot {
            Slot::Pods => s
                .tenants
                .get(tenant)
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
        let Some(state) = s.states.get(tenant).copied() else {
            return;
        };
        let objs = s.tenants.entry(tenant.to_string()).or_default();
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

    #[tokio::test]
    async fn object_changes_rederive_health_and_announce_only_real_changes() {
        let hub = Hub::new();
        let view = ClusterView::new(hub.clone());
        let (mut rx, _) = hub.subscribe(None);
        for slot in Slot::ALL {
            view.set_watching(slot, true);
        }
        view.set_state("t1", TenantState::Active);
        assert_eq!(view.health("t1").health, Health::Down);
        view.apply(Slot::Pods, "t1", "database-0", Some(pod("database", true)));
        assert_eq!(view.health("t1").health, Health::Healthy);
        assert!(!view.health("t1").stale);
        view.apply(Slot::Pods, "t1", "api-0", Some(pod("api", false)));
        let h = view.health("t1");
        assert_eq!(h.health, Health::Degraded);
        assert!(h.reason.unwrap_or_default().contains("CrashLoopBackOff"));
        let mut kinds = vec![];
        while let Ok(n) = rx.try_recv() {
            kinds.push(format!("{}/{}", n.event.topic, n.event.kind));
        }
        // The same object again changes nothing and says nothing.
        view.apply(Slot::Pods, "t1", "api-0", Some(pod("api", false)));
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
