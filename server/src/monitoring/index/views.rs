//! What the index answers: a tenant's health and objects, the fleet's
//! snapshots and summary, the watches' state, finished Jobs. Read-only;
//! `index.rs` folds the watches' events in.

use super::*;

impl ClusterIndex {
    /// A tenant's health as of the last thing the watches said.
    pub fn health(&self, tenant: &str) -> HealthDto {
        let Ok(s) = self.state.read() else {
            return HealthDto::unknown("the live view is unavailable");
        };
        let (Some(&(state, _, _)), Some(key)) = (s.states.get(tenant), s.key_of(tenant)) else {
            return HealthDto::unknown("not known yet");
        };
        let known = s.tenants.get(&key).and_then(|o| o.health.as_ref());
        let connected = s.connected();
        let (health, mut reason) = match known {
            Some(h) => (h.health, h.reason.clone()),
            None if state.is_live() => (Health::Unknown, None),
            None => derive(state, &TenantObjects::default()),
        };
        if s.watching.is_empty() {
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

    /// The health the index holds for a tenant now, if it has judged one.
    pub fn health_now(&self, tenant: &str) -> Option<HealthNow> {
        let s = self.state.read().ok()?;
        s.tenants.get(&s.key_of(tenant)?)?.health.clone()
    }

    /// A tenant's pods, workloads, quota use, certificates and events.
    pub fn objects(&self, tenant: &str) -> TenantView {
        self.state
            .read()
            .ok()
            .and_then(|s| s.tenants.get(&s.key_of(tenant)?).map(TenantObjects::view))
            .unwrap_or_default()
    }

    /// The tenant whose namespace `namespace` is.
    pub fn tenant_in(&self, namespace: &str) -> Option<String> {
        self.state.read().ok()?.by_namespace.get(namespace).cloned()
    }

    /// What the alert rules look at, for every known tenant or for those
    /// in `scope`.
    pub fn snapshots(&self, scope: Option<&HashSet<String>>) -> Vec<TenantSnapshot> {
        let Ok(s) = self.state.read() else {
            return vec![];
        };
        let now = now_ms();
        let empty = TenantObjects::default();
        let picked: Vec<(&String, &(TenantState, String, i64))> = match scope {
            None => s.states.iter().collect(),
            Some(ids) => ids
                .iter()
                .filter_map(|id| s.states.get_key_value(id))
                .collect(),
        };
        picked
            .into_iter()
            .map(|(id, (state, ns, _))| {
                let objs = s.tenants.get(&(id.clone(), ns.clone())).unwrap_or(&empty);
                TenantSnapshot {
                    id: id.clone(),
                    state: *state,
                    health: objs.health.clone(),
                    pods: objs.pods(),
                    recent_restarts: objs.recent_restarts(now),
                    quota: objs.quota(),
                    certificates: objs.certificates(),
                }
            })
            .collect()
    }

    /// (tenant, namespace) of every tenant whose health the cluster tells.
    pub fn live_tenants(&self) -> Vec<(String, String)> {
        self.state
            .read()
            .map(|s| {
                s.states
                    .iter()
                    .filter(|(_, (state, _, _))| state.is_live())
                    .map(|(id, (_, ns, _))| (id.clone(), ns.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Tenants with a container restart in the last ten minutes.
    pub fn restarting(&self) -> Vec<String> {
        let Ok(s) = self.state.read() else {
            return vec![];
        };
        let now = now_ms();
        s.tenants
            .iter()
            .filter(|(key, o)| {
                !o.restarts.is_empty() && s.counts(key) && !o.recent_restarts(now).is_empty()
            })
            .map(|(key, _)| key.0.clone())
            .collect()
    }

    /// The Jobs of `component` (`backup`, …) that completed, as (tenant,
    /// namespace, name), from the watched picture: no request to the API.
    pub fn finished_jobs(&self, component: &str) -> Vec<(String, String, String)> {
        let Ok(s) = self.state.read() else {
            return vec![];
        };
        let mut out = vec![];
        // Only Jobs labelled for a tenant and sitting in that tenant's own
        // namespace (as the tenants' states, loaded from the database, say).
        for (key, objs) in s.tenants.iter().filter(|(key, _)| s.counts(key)) {
            let (tenant, namespace) = key;
            for ((kind, name), item) in &objs.objects {
                if let (Kind::Job, Item::Workload(w, r)) = (kind, item) {
                    if w.component == component && r.finished == Some(Ok(())) {
                        out.push((tenant.clone(), namespace.clone(), name.clone()));
                    }
                }
            }
        }
        out
    }

    pub fn watch_status(&self) -> WatchStatus {
        self.state
            .read()
            .map(|s| WatchStatus {
                started: !s.watching.is_empty(),
                connected: s.connected(),
                since: s.since,
            })
            .unwrap_or(WatchStatus {
                started: false,
                connected: false,
                since: None,
            })
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

    /// How many pods and other objects the index holds (for benchmarks).
    pub fn size(&self) -> (usize, usize) {
        self.state
            .read()
            .map(|s| {
                s.tenants.values().fold((0, 0), |(p, w), o| {
                    let pods = o.objects.keys().filter(|k| k.0 == Kind::Pod).count();
                    (p + pods, w + o.objects.len() - pods)
                })
            })
            .unwrap_or_default()
    }
}
