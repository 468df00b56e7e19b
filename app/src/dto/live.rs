//! What the live views show: a tenant's health, pods, workloads and
//! Kubernetes events, and the messages of the live stream.

use serde::{Deserialize, Serialize};

string_enum!(
    /// A tenant's health, derived from its pods and workloads.
    Health {
        Healthy => "healthy",
        Degraded => "degraded",
        Critical => "critical",
        Down => "down",
        Provisioning => "provisioning",
        Suspended => "suspended",
        Deprovisioning => "deprovisioning",
        Unknown => "unknown",
    }
);

/// Health with its reason and the time it was true; `stale` when the watch
/// that feeds it is not currently connected, so it may be out of date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthDto {
    pub health: Health,
    pub reason: Option<String>,
    /// When the cluster last confirmed this (milliseconds since the epoch).
    pub observed_at: Option<i64>,
    pub stale: bool,
}

impl HealthDto {
    pub fn unknown(reason: &str) -> HealthDto {
        HealthDto {
            health: Health::Unknown,
            reason: Some(reason.into()),
            observed_at: None,
            stale: true,
        }
    }
}

/// One pod as the pods table shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PodDto {
    pub name: String,
    pub component: String,
    pub phase: String,
    pub ready: bool,
    pub restarts: i32,
    /// A waiting or terminated reason, e.g. CrashLoopBackOff.
    pub reason: Option<String>,
    pub created_at: Option<i64>,
}

/// A Deployment, StatefulSet or Job: how many of what it wants are ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WorkloadDto {
    pub kind: String,
    pub name: String,
    pub component: String,
    pub desired: i32,
    pub ready: i32,
}

/// How much of one resource of a namespace's quota is used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuotaUseDto {
    /// The quota's key, e.g. `requests.cpu`.
    pub resource: String,
    pub used: String,
    pub hard: String,
    /// used / hard, when both parse (0.0 to 1.0 and beyond).
    pub ratio: Option<f64>,
}

/// A cert-manager Certificate of the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificateDto {
    pub name: String,
    pub hosts: Vec<String>,
    pub ready: bool,
    /// Why it is not ready, from its Ready condition.
    pub reason: Option<String>,
    /// When it expires (ms since the epoch).
    pub not_after: Option<i64>,
}

/// One of a tenant's health transitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthEventDto {
    pub at: i64,
    pub health: Health,
    pub reason: Option<String>,
}

/// One Kubernetes event from the tenant's namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct K8sEventDto {
    pub at: Option<i64>,
    /// Normal or Warning.
    pub severity: String,
    pub reason: String,
    pub object: String,
    pub message: String,
    pub count: i32,
}

/// Everything the tenant page shows live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantLiveDto {
    pub health: Option<HealthDto>,
    pub pods: Vec<PodDto>,
    pub workloads: Vec<WorkloadDto>,
    /// Namespace quota use, per resource.
    #[serde(default)]
    pub quota: Vec<QuotaUseDto>,
    #[serde(default)]
    pub certificates: Vec<CertificateDto>,
    /// Its latest health transitions, newest first.
    #[serde(default)]
    pub history: Vec<HealthEventDto>,
    /// Its alerts, open and recent, newest first.
    #[serde(default)]
    pub alerts: Vec<super::AlertDto>,
    pub events: Vec<K8sEventDto>,
    /// Why the cluster part is empty (no cluster connected, …).
    pub note: Option<String>,
}

string_enum!(
    /// What a message of the live stream says changed.
    LiveKind {
        Run => "run",
        Tenant => "tenant",
        Alert => "alert",
        Objects => "objects",
        Health => "health",
        Watch => "watch",
        Rollout => "rollout",
        Resync => "resync",
    }
);

/// What a message of the live stream is about, written on the wire as
/// `tenants`, `runs`, `alerts`, `rollouts`, `tenant:<id>`, `run:<id>` or
/// `rollout:<id>`. The pages, the
/// CLI and the server share it, so a topic is spelt in one place.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Topic {
    Tenants,
    Runs,
    Alerts,
    Tenant(String),
    Run(i64),
    Rollouts,
    Rollout(i64),
}

impl Topic {
    /// A topic from its wire form (the tenant ID is not checked here).
    pub fn parse(text: &str) -> Option<Topic> {
        Some(match text.split_once(':') {
            None => match text {
                "tenants" => Topic::Tenants,
                "runs" => Topic::Runs,
                "alerts" => Topic::Alerts,
                "rollouts" => Topic::Rollouts,
                _ => return None,
            },
            Some(("tenant", id)) if !id.is_empty() => Topic::Tenant(id.to_string()),
            Some(("run", n)) => {
                Topic::Run(n.parse::<u64>().ok().and_then(|n| i64::try_from(n).ok())?)
            }
            Some(("rollout", n)) => {
                Topic::Rollout(n.parse::<u64>().ok().and_then(|n| i64::try_from(n).ok())?)
            }
            Some(_) => return None,
        })
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Topic::Tenants => f.write_str("tenants"),
            Topic::Runs => f.write_str("runs"),
            Topic::Alerts => f.write_str("alerts"),
            Topic::Tenant(id) => write!(f, "tenant:{id}"),
            Topic::Run(id) => write!(f, "run:{id}"),
            Topic::Rollouts => f.write_str("rollouts"),
            Topic::Rollout(id) => write!(f, "rollout:{id}"),
        }
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for Topic {
    type Error = String;
    fn try_from(text: String) -> Result<Topic, String> {
        Topic::parse(&text).ok_or_else(|| format!("\"{text}\" is not a topic"))
    }
}

/// One message of the live stream: what it is about, what changed, and
/// the new value where it is small.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LiveEvent {
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub topic: Topic,
    pub kind: LiveKind,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_read_as_they_are_written() {
        for t in [
            Topic::Tenants,
            Topic::Runs,
            Topic::Alerts,
            Topic::Tenant("acme-x1".into()),
            Topic::Run(42),
        ] {
            assert_eq!(Topic::parse(&t.to_string()), Some(t.clone()));
            let json = serde_json::to_string(&t).unwrap_or_default();
            assert_eq!(json, format!("\"{t}\""));
        }
        for bad in ["", "pods", "tenant:", "run:x", "run:-1", "secret:a"] {
            assert_eq!(Topic::parse(bad), None, "{bad}");
        }
        let e: Result<LiveEvent, _> =
            serde_json::from_str(r#"{"topic":"run:7","kind":"run","data":null}"#);
        assert!(e.is_ok_and(|e| e.topic == Topic::Run(7) && e.kind == LiveKind::Run));
    }
}
