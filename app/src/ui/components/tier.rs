//! One-line summaries of a tier's limits.

use crate::dto::TierSpec;

pub fn tier_summary(s: &TierSpec) -> String {
    format!(
        "PostgreSQL {}× {} Gi · API {}× · web {}× · CPU {}–{}m · memory {}–{} Mi · users {} · backup {} · quota {}m CPU, {} Mi, {} Gi, {} pods",
        s.postgres_instances,
        s.postgres_storage_gi,
        s.api_replicas,
        s.web_replicas,
        s.cpu_request_m,
        s.cpu_limit_m,
        s.memory_request_mi,
        s.memory_limit_mi,
        s.user_limit.map(|u| u.to_string()).unwrap_or_else(|| "unlimited".into()),
        if s.backup_enabled { "on" } else { "off" },
        s.quota_cpu_m,
        s.quota_memory_mi,
        s.quota_storage_gi,
        s.quota_pods,
    )
}
