//! Readiness read from the index, for the waits of provisioning steps: no
//! watch of its own per object, only the picture every other part uses.
//!
//! A Deployment is ready when the pods of its current ReplicaSet (by
//! `pod-template-hash`) are Ready in the wanted number: the pods' own
//! readiness reaches the index in milliseconds, while the Deployment's
//! status (and even its revision annotation) waits for the controllers to
//! sync, seconds under load, and can still count pods that are terminating
//! as ready. Only while none of its ReplicaSets is seen does its status
//! decide. The current ReplicaSet is the one the
//! Deployment owns whose pod template is the Deployment's (compared by a
//! digest, the `pod-template-hash` label left out), as the controller
//! itself decides. A StatefulSet likewise by its
//! update revision (`controller-revision-hash`), a Job by its condition or
//! its pods having succeeded, a CloudNativePG cluster by its ready
//! instances.

use std::collections::BTreeMap;

use app::dto::WorkloadDto;

use super::index::objects::{Item, Kind};

/// Where a pod comes from: its controller's revision and its Job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodOrigin {
    /// `pod-template-hash` (a ReplicaSet's pods) or
    /// `controller-revision-hash` (a StatefulSet's).
    pub revision: Option<String>,
    /// `job-name`, for a Job's pods.
    pub job: Option<String>,
}

/// What a workload's status says about its rollout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollout {
    pub generation: i64,
    pub observed_generation: i64,
    /// Pods of the current template (Deployments), and pods in all.
    pub updated: i32,
    pub total: i32,
    /// A Deployment's pod template digest (see [`template_digest`]).
    pub template: Option<u64>,
    /// A StatefulSet's `status.updateRevision`.
    pub revision: Option<String>,
    /// A Job's outcome once it has one: `Ok(())` complete, `Err(why)` failed.
    pub finished: Option<Result<(), String>>,
}

/// A ReplicaSet, as far as telling a Deployment's current pods goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaSetItem {
    /// The Deployment that owns it.
    pub deployment: Option<String>,
    /// Its pod template's digest.
    pub template: Option<u64>,
    /// Its `pod-template-hash`.
    pub hash: Option<String>,
}

/// A digest of a pod template without its `pod-template-hash` label: equal
/// for a Deployment and the ReplicaSet made from its template.
pub fn template_digest<T: serde::Serialize>(template: &T) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut v = serde_json::to_value(template).ok()?;
    if let Some(labels) = v
        .get_mut("metadata")
        .and_then(|m| m.get_mut("labels"))
        .and_then(|l| l.as_object_mut())
    {
        labels.remove("pod-template-hash");
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.to_string().hash(&mut h);
    Some(h.finish())
}

/// What a step waits for.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    Deployment(&'a str),
    StatefulSet(&'a str),
    DbCluster(&'a str),
    Job(&'a str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Waiting,
    Ready,
    Failed(String),
}

pub(super) type Objects = BTreeMap<(Kind, String), Item>;

/// Ready pods of `revision`, not being deleted.
fn ready_pods_of(objs: &Objects, revision: &str) -> i32 {
    let n = objs
        .values()
        .filter(|i| match i {
            Item::Pod(p, o) => {
                p.ready && p.phase != "Terminating" && o.revision.as_deref() == Some(revision)
            }
            _ => false,
        })
        .count();
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The ReplicaSets the Deployment `name` owns.
fn owned_replica_sets<'a>(objs: &'a Objects, name: &str) -> Vec<&'a ReplicaSetItem> {
    objs.values()
        .filter_map(|i| match i {
            Item::ReplicaSet(rs) if rs.deployment.as_deref() == Some(name) => Some(rs),
            _ => None,
        })
        .collect()
}

/// How many of a workload's pods are Ready now, when the pods tell: for a
/// Deployment, the ready pods of every ReplicaSet it owns (old ones serve
/// too during a rollout); for a StatefulSet, those of its update revision
/// if more than its status says. The status lags the pods by seconds under
/// load, and health must not call a tenant down that a wait just found
/// ready: both read this one count.
pub fn ready_now(objs: &Objects, w: &WorkloadDto, r: &Rollout) -> i32 {
    match w.kind.as_str() {
        "Deployment" => {
            let hashes: Vec<&str> = owned_replica_sets(objs, &w.name)
                .into_iter()
                .filter_map(|rs| rs.hash.as_deref())
                .collect();
            if hashes.is_empty() {
                return w.ready;
            }
            hashes.iter().map(|h| ready_pods_of(objs, h)).sum()
        }
        "StatefulSet" => r
            .revision
            .as_deref()
            .map_or(w.ready, |rev| w.ready.max(ready_pods_of(objs, rev))),
        _ => w.ready,
    }
}

/// Whether `target` is ready, judged from one namespace's objects. The
/// index may lag a write: a workload counts only once the index holds it at
/// `generation` or later (the generation the API server gave its newest
/// spec), so a wait right after an apply never judges the old spec.
pub fn verdict(objs: &Objects, target: Target<'_>, generation: i64) -> Verdict {
    let get = |kind: Kind, name: &str| {
        objs.get(&(kind, name.to_string())).filter(|i| match i {
            Item::Workload(_, r) => r.generation >= generation,
            _ => true,
        })
    };
    let ready = |yes: bool| {
        if yes {
            Verdict::Ready
        } else {
            Verdict::Waiting
        }
    };
    match target {
        Target::Deployment(name) => {
            let Some(Item::Workload(w, r)) = get(Kind::Deployment, name) else {
                return Verdict::Waiting;
            };
            let want = w.desired;
            let status_says = r.observed_generation >= r.generation
                && r.updated == want
                && w.ready == want
                && r.total == want;
            let owned = owned_replica_sets(objs, name);
            // The pods decide once the Deployment's ReplicaSets are seen:
            // its status can count pods that are already terminating (scaled
            // down and straight back up) as ready.
            if owned.is_empty() {
                return ready(status_says);
            }
            let current = owned
                .iter()
                .find(|rs| r.template.is_some() && rs.template == r.template);
            ready(current.is_some_and(|rs| {
                want <= 0
                    || rs
                        .hash
                        .as_deref()
                        .is_some_and(|h| ready_pods_of(objs, h) >= want)
            }))
        }
        Target::StatefulSet(name) => {
            let Some(Item::Workload(w, r)) = get(Kind::StatefulSet, name) else {
                return Verdict::Waiting;
            };
            // By the pods of its update revision once the status names
            // it; by the status before that.
            ready(match r.revision.as_deref() {
                Some(rev) => ready_pods_of(objs, rev) >= w.desired,
                None => w.ready >= w.desired,
            })
        }
        Target::DbCluster(name) => match get(Kind::DbCluster, name) {
            Some(Item::Workload(w, _)) => ready(w.ready >= w.desired),
            _ => Verdict::Waiting,
        },
        Target::Job(name) => {
            let Some(Item::Workload(w, r)) = get(Kind::Job, name) else {
                return Verdict::Waiting;
            };
            match &r.finished {
                Some(Ok(())) => Verdict::Ready,
                Some(Err(why)) => Verdict::Failed(why.clone()),
                None => {
                    let succeeded = objs
                        .values()
                        .filter(|i| match i {
                            Item::Pod(p, o) => {
                                p.phase == "Succeeded" && o.job.as_deref() == Some(name)
                            }
                            _ => false,
                        })
                        .count();
                    ready(i32::try_from(succeeded).unwrap_or(i32::MAX) >= w.desired.max(1))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
