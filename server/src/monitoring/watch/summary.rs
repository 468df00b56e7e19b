//! Each watched kind's object as the index keeps it: a small summary,
//! placed by its tenant label and namespace.

use std::collections::BTreeMap;

use app::dto::{CertificateDto, K8sEventDto, PodDto, QuotaUseDto, WorkloadDto};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event as K8sEvent, PersistentVolumeClaim, Pod, ResourceQuota};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::DynamicObject;
use serde_json::Value;

use super::super::index::{ClusterIndex, Item, Summary};
use super::super::ready::{template_digest, PodOrigin, ReplicaSetItem, Rollout};
use crate::manifests::TENANT_LABEL;

const COMPONENT: &str = "app.kubernetes.io/component";

fn ms(t: &Time) -> i64 {
    t.0.as_millisecond()
}

fn label<'a>(meta: &'a kube::api::ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

/// Where an object is: (tenant label, namespace, name), and its component.
struct Owner {
    tenant: String,
    namespace: String,
    name: String,
    component: String,
}

fn owner(meta: &kube::api::ObjectMeta) -> Option<Owner> {
    Some(Owner {
        tenant: label(meta, TENANT_LABEL)?.to_string(),
        namespace: meta.namespace.clone()?,
        name: meta.name.clone()?,
        component: label(meta, COMPONENT).unwrap_or("").to_string(),
    })
}

impl Owner {
    fn summary(self, item: Item) -> Summary {
        Summary {
            tenant: self.tenant,
            namespace: self.namespace,
            name: self.name,
            item,
        }
    }

    fn workload(self, kind: &str, (desired, ready): (i32, i32), rollout: Rollout) -> Summary {
        let item = Item::Workload(
            WorkloadDto {
                kind: kind.into(),
                name: self.name.clone(),
                component: self.component.clone(),
                desired,
                ready,
            },
            rollout,
        );
        self.summary(item)
    }
}

pub fn pod_summary(pod: &Pod) -> Option<Summary> {
    let at = owner(&pod.metadata)?;
    let status = pod.status.clone().unwrap_or_default();
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let containers = status.container_statuses.unwrap_or_default();
    let restarts = containers.iter().map(|c| c.restart_count).sum();
    let reason = containers.iter().find_map(|c| {
        let state = c.state.as_ref()?;
        state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .or_else(|| state.terminated.as_ref().and_then(|t| t.reason.clone()))
    });
    let phase = if pod.metadata.deletion_timestamp.is_some() {
        "Terminating".to_string()
    } else {
        status.phase.unwrap_or_else(|| "Pending".into())
    };
    let origin = PodOrigin {
        revision: label(&pod.metadata, "pod-template-hash")
            .or_else(|| label(&pod.metadata, "controller-revision-hash"))
            .map(String::from),
        job: label(&pod.metadata, "job-name").map(String::from),
    };
    let item = Item::Pod(
        PodDto {
            name: at.name.clone(),
            component: at.component.clone(),
            phase,
            ready,
            restarts,
            reason,
            created_at: pod.metadata.creation_timestamp.as_ref().map(ms),
        },
        origin,
    );
    Some(at.summary(item))
}

pub(super) fn deployment_summary(d: &Deployment) -> Option<Summary> {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let status = d.status.as_ref();
    let rollout = Rollout {
        generation: d.metadata.generation.unwrap_or(0),
        observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
        updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
        total: status.and_then(|s| s.replicas).unwrap_or(0),
        template: d.spec.as_ref().and_then(|s| template_digest(&s.template)),
        revision: None,
        finished: None,
    };
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    Some(owner(&d.metadata)?.workload("Deployment", (desired, ready), rollout))
}

pub(super) fn replicaset_summary(rs: &ReplicaSet) -> Option<Summary> {
    let item = Item::ReplicaSet(ReplicaSetItem {
        deployment: rs
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.kind == "Deployment" && o.controller == Some(true))
            .map(|o| o.name.clone()),
        template: rs
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(template_digest),
        hash: label(&rs.metadata, "pod-template-hash").map(String::from),
    });
    Some(owner(&rs.metadata)?.summary(item))
}

pub(super) fn statefulset_summary(d: &StatefulSet) -> Option<Summary> {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let status = d.status.as_ref();
    let rollout = Rollout {
        generation: d.metadata.generation.unwrap_or(0),
        observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
        revision: status.and_then(|s| s.update_revision.clone()),
        ..Rollout::default()
    };
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
    Some(owner(&d.metadata)?.workload("StatefulSet", (desired, ready), rollout))
}

pub(super) fn job_summary(j: &Job) -> Option<Summary> {
    let desired = j.spec.as_ref().and_then(|s| s.completions).unwrap_or(1);
    let status = j.status.as_ref();
    let done = status.and_then(|s| s.succeeded).unwrap_or(0);
    let finished = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| {
            c.iter()
                .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        })
        .map(|c| match c.type_.as_str() {
            "Complete" => Ok(()),
            _ => Err(format!(
                "{} {}",
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default()
            )
            .trim()
            .to_string()),
        });
    let rollout = Rollout {
        generation: j.metadata.generation.unwrap_or(0),
        finished,
        ..Rollout::default()
    };
    Some(owner(&j.metadata)?.workload("Job", (desired, done), rollout))
}

pub(super) fn claim_summary(c: &PersistentVolumeClaim) -> Option<Summary> {
    let phase = c
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".into());
    Some(owner(&c.metadata)?.summary(Item::Claim(phase)))
}

/// used / hard of one quota resource, when both parse.
pub fn ratio(used: &str, hard: &str) -> Option<f64> {
    let parse = |q: &str| {
        kube_quantity::ParsedQuantity::try_from(q)
            .ok()
            .and_then(|p| p.to_bytes_f64())
    };
    let (u, h) = (parse(used)?, parse(hard)?);
    (h > 0.0).then_some(u / h)
}

pub(super) fn quota_summary(q: &ResourceQuota) -> Option<Summary> {
    let hard: BTreeMap<String, String> = q
        .status
        .as_ref()
        .and_then(|s| s.hard.clone())
        .or_else(|| q.spec.as_ref().and_then(|s| s.hard.clone()))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect();
    let used = q
        .status
        .as_ref()
        .and_then(|s| s.used.clone())
        .unwrap_or_default();
    let uses = hard
        .into_iter()
        .map(|(resource, hard)| {
            let used = used
                .get(&resource)
                .map(|u| u.0.clone())
                .unwrap_or_else(|| "0".into());
            QuotaUseDto {
                ratio: ratio(&used, &hard),
                resource,
                used,
                hard,
            }
        })
        .collect();
    Some(owner(&q.metadata)?.summary(Item::Quota(uses)))
}

/// A Kubernetes event in a tenant's namespace, as the tenant page shows it.
pub(super) fn event_summary(index: &ClusterIndex, e: &K8sEvent) -> Option<Summary> {
    let namespace = e.metadata.namespace.clone()?;
    let tenant = index.tenant_in(&namespace)?;
    let involved = &e.involved_object;
    let item = Item::Event(K8sEventDto {
        at: e
            .last_timestamp
            .as_ref()
            .or(e.first_timestamp.as_ref())
            .map(ms)
            .or_else(|| e.event_time.as_ref().map(|t| t.0.as_millisecond())),
        severity: e.type_.clone().unwrap_or_else(|| "Normal".into()),
        reason: e.reason.clone().unwrap_or_default(),
        object: format!(
            "{}/{}",
            involved.kind.as_deref().unwrap_or_default(),
            involved.name.as_deref().unwrap_or_default()
        ),
        message: e.message.clone().unwrap_or_default(),
        count: e.count.unwrap_or(1),
    });
    Some(Summary {
        tenant,
        namespace,
        name: e.metadata.name.clone()?,
        item,
    })
}

fn condition<'a>(o: &'a DynamicObject, kind: &str) -> Option<&'a Value> {
    o.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

pub(super) fn db_cluster_summary(o: &DynamicObject) -> Option<Summary> {
    let desired = o.data["spec"]["instances"].as_i64().unwrap_or(1);
    let ready = o.data["status"]["readyInstances"].as_i64().unwrap_or(0);
    let fit = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let rollout = Rollout {
        generation: o.metadata.generation.unwrap_or(0),
        ..Rollout::default()
    };
    Some(owner(&o.metadata)?.workload("Cluster", (fit(desired), fit(ready)), rollout))
}

pub(super) fn certificate_summary(o: &DynamicObject) -> Option<Summary> {
    let ready = condition(o, "Ready");
    let is_ready = ready.is_some_and(|c| c["status"] == "True");
    let reason = ready
        .filter(|_| !is_ready)
        .map(|c| {
            let why = c["reason"].as_str().unwrap_or("NotReady");
            match c["message"].as_str() {
                Some(m) if !m.is_empty() => format!("{why}: {m}"),
                _ => why.to_string(),
            }
        })
        .or_else(|| (!is_ready).then(|| "no Ready condition yet".to_string()));
    let not_after = o.data["status"]["notAfter"]
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond());
    let hosts = o.data["spec"]["dnsNames"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| h.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let at = owner(&o.metadata)?;
    let item = Item::Certificate(CertificateDto {
        name: at.name.clone(),
        hosts,
        ready: is_ready,
        reason,
        not_after,
    });
    Some(at.summary(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_ratios_parse_kubernetes_quantities() {
        assert_eq!(ratio("900m", "1"), Some(0.9));
        assert_eq!(ratio("1536Mi", "2Gi"), Some(0.75));
        assert_eq!(ratio("19", "20"), Some(0.95));
        assert_eq!(ratio("x", "20"), None);
        assert_eq!(ratio("1", "0"), None);
    }
}
