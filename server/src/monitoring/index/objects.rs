//! One tenant's objects as the index holds them: the kinds watched, each
//! object's small summary, the restart samples of its pods, and the last
//! Warning-or-not events of its namespace (a bounded few).

use std::collections::{BTreeMap, HashMap, VecDeque};

use app::dto::{CertificateDto, K8sEventDto, PodDto, QuotaUseDto, WorkloadDto};

use super::super::ready::{ready_now, PodOrigin, ReplicaSetItem, Rollout};
use super::{HealthNow, RESTART_WINDOW_MS};

/// Events kept per tenant namespace, newest first.
pub const EVENTS_KEPT: usize = 30;

/// The kinds the index holds, one watch each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Pod,
    Deployment,
    /// Only to tell a Deployment's current pods (see [`super::ready`]).
    ReplicaSet,
    StatefulSet,
    Job,
    Claim,
    Quota,
    /// CloudNativePG `Cluster`, when the cluster serves it.
    DbCluster,
    /// cert-manager `Certificate`, when the cluster serves it.
    Certificate,
    /// Events in the tenant's namespace (they carry no tenant label: the
    /// namespace tells whose they are).
    Event,
}

impl Kind {
    /// Whether a change of this kind can move a tenant's health.
    pub fn moves_health(self) -> bool {
        !matches!(self, Kind::ReplicaSet | Kind::Event)
    }

    pub const ALWAYS: [Kind; 8] = [
        Kind::Pod,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::Job,
        Kind::Claim,
        Kind::Quota,
        Kind::Event,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Pod => "Pod",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::Job => "Job",
            Kind::Claim => "PersistentVolumeClaim",
            Kind::Quota => "ResourceQuota",
            Kind::DbCluster => "Cluster",
            Kind::Certificate => "Certificate",
            Kind::Event => "Event",
        }
    }
}

/// An object's summary.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A pod as shown, and where it comes from.
    Pod(PodDto, PodOrigin),
    /// A Deployment, StatefulSet, Job or database cluster as shown, and
    /// its rollout.
    Workload(WorkloadDto, Rollout),
    ReplicaSet(ReplicaSetItem),
    /// A ResourceQuota: use per resource.
    Quota(Vec<QuotaUseDto>),
    /// A PersistentVolumeClaim's phase.
    Claim(String),
    Certificate(CertificateDto),
    Event(K8sEventDto),
}

/// One object, ready to be folded in: where it belongs and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Its `tenantry.io/tenant` label.
    pub tenant: String,
    pub namespace: String,
    pub name: String,
    pub item: Item,
}

/// What the tenant page shows of a tenant's objects.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantView {
    pub pods: Vec<PodDto>,
    pub workloads: Vec<WorkloadDto>,
    pub quota: Vec<QuotaUseDto>,
    pub certificates: Vec<CertificateDto>,
    /// Newest first.
    pub events: Vec<K8sEventDto>,
}

#[derive(Default)]
pub(super) struct TenantObjects {
    pub(super) objects: BTreeMap<(Kind, String), Item>,
    /// Per pod: (when, restart count) samples of the last ten minutes and
    /// the newest one before them.
    pub(super) restarts: HashMap<String, VecDeque<(i64, i32)>>,
    pub(super) health: Option<HealthNow>,
}

impl TenantObjects {
    pub(super) fn pods(&self) -> Vec<PodDto> {
        self.objects
            .values()
            .filter_map(|i| match i {
                Item::Pod(p, _) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    /// Workloads with their ready count as the pods tell it (see
    /// [`ready_now`]).
    pub(super) fn workloads(&self) -> Vec<WorkloadDto> {
        self.objects
            .values()
            .filter_map(|i| match i {
                Item::Workload(w, r) => Some(WorkloadDto {
                    ready: ready_now(&self.objects, w, r),
                    ..w.clone()
                }),
                _ => None,
            })
            .collect()
    }

    pub(super) fn quota(&self) -> Vec<QuotaUseDto> {
        self.objects
            .values()
            .filter_map(|i| match i {
                Item::Quota(q) => Some(q.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub(super) fn certificates(&self) -> Vec<CertificateDto> {
        self.objects
            .values()
            .filter_map(|i| match i {
                Item::Certificate(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// Its namespace's events, newest first.
    pub(super) fn events(&self) -> Vec<K8sEventDto> {
        let mut events: Vec<K8sEventDto> = self
            .objects
            .values()
            .filter_map(|i| match i {
                Item::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        events
    }

    /// Drops all but the newest [`EVENTS_KEPT`] events.
    pub(super) fn trim_events(&mut self) {
        let mut events: Vec<(Option<i64>, String)> = self
            .objects
            .iter()
            .filter_map(|(k, i)| match i {
                Item::Event(e) => Some((e.at, k.1.clone())),
                _ => None,
            })
            .collect();
        if events.len() <= EVENTS_KEPT {
            return;
        }
        events.sort();
        for (_, name) in &events[..events.len() - EVENTS_KEPT] {
            self.objects.remove(&(Kind::Event, name.clone()));
        }
    }

    pub(super) fn view(&self) -> TenantView {
        TenantView {
            pods: self.pods(),
            workloads: self.workloads(),
            quota: self.quota(),
            certificates: self.certificates(),
            events: self.events(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.health.is_none()
    }

    /// Keeps the restart samples of a pod's new count.
    pub(super) fn sample_restarts(&mut self, pod: &str, restarts: Option<i32>, now: i64) {
        let Some(count) = restarts else {
            self.restarts.remove(pod);
            return;
        };
        let samples = self.restarts.entry(pod.to_string()).or_default();
        if samples.back().map(|s| s.1) != Some(count) {
            samples.push_back((now, count));
        }
        while samples.len() > 1 && samples[1].0 <= now - RESTART_WINDOW_MS {
            samples.pop_front();
        }
    }

    pub(super) fn recent_restarts(&self, now: i64) -> Vec<(String, i32)> {
        self.restarts
            .iter()
            .filter_map(|(pod, s)| {
                let last = s.back()?.1;
                // The baseline: the newest sample from before the window,
                // else the first one seen.
                let base = s
                    .iter()
                    .rev()
                    .find(|x| x.0 <= now - RESTART_WINDOW_MS)
                    .or(s.front())?
                    .1;
                (last > base).then(|| (pod.clone(), last - base))
            })
            .collect()
    }
}
