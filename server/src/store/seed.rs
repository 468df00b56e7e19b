//! First-start data: the four tiers of the earlier workshop system (Demo,
//! Free, Professional, Enterprise) with namespace quotas sized to hold them.

use app::domain::template_rules::ValidTemplate;
use app::dto::TemplateForm;

use super::Store;
use crate::error::Result;

/// (key, name, description, pg instances, pg Gi, api, web, cpu req/lim m,
///  mem req/lim Mi, users, backup, quota cpu m, mem Mi, storage Gi, pods, features)
type Tier = (
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
    u32,
    u32,
    u32,
    u32,
    u32,
    u32,
    Option<u32>,
    bool,
    u32,
    u32,
    u32,
    u32,
    &'static str,
);

const TIERS: [Tier; 4] = [
    (
        "demo",
        "Demo",
        "A short-lived trial: smallest footprint, no backups.",
        1,
        5,
        1,
        1,
        100,
        500,
        128,
        512,
        Some(2),
        false,
        2_000,
        4_096,
        10,
        10,
        "trial",
    ),
    (
        "free",
        "Free",
        "Free plan for small teams.",
        1,
        10,
        1,
        1,
        100,
        500,
        256,
        512,
        Some(5),
        false,
        2_000,
        4_096,
        20,
        10,
        "",
    ),
    (
        "professional",
        "Professional",
        "Growing businesses: two replicas and daily backups.",
        1,
        50,
        2,
        2,
        250,
        1_000,
        512,
        1_024,
        Some(20),
        true,
        8_000,
        16_384,
        100,
        20,
        "reports, api-access, custom-domain",
    ),
    (
        "enterprise",
        "Enterprise",
        "Highly available PostgreSQL, three replicas, unlimited users.",
        3,
        200,
        3,
        3,
        500,
        2_000,
        1_024,
        4_096,
        None,
        true,
        32_000,
        65_536,
        1_000,
        50,
        "reports, api-access, custom-domain, sso, autoscaling",
    ),
];

/// The seeded tiers, validated by the same rules as any template form.
pub fn seed_templates() -> Vec<ValidTemplate> {
    TIERS
        .iter()
        .filter_map(|t| {
            let form = TemplateForm {
                key: t.0.into(),
                application: crate::applications::WORKSHOP_KEY.into(),
                name: t.1.into(),
                description: t.2.into(),
                postgres_instances: t.3.to_string(),
                postgres_storage_gi: t.4.to_string(),
                api_replicas: t.5.to_string(),
                web_replicas: t.6.to_string(),
                cpu_request_m: t.7.to_string(),
                cpu_limit_m: t.8.to_string(),
                memory_request_mi: t.9.to_string(),
                memory_limit_mi: t.10.to_string(),
                user_limit: t.11.map(|u| u.to_string()).unwrap_or_default(),
                backup_enabled: t.12.then(|| "on".into()),
                // Professional daily, Enterprise every six hours; both keep
                // two weeks' worth at most.
                backup_schedule: if t.0 == "enterprise" {
                    "0 */6 * * *"
                } else {
                    "0 2 * * *"
                }
                .into(),
                backup_retention: if t.0 == "enterprise" { "56" } else { "14" }.into(),
                quota_cpu_m: t.13.to_string(),
                quota_memory_mi: t.14.to_string(),
                quota_storage_gi: t.15.to_string(),
                quota_pods: t.16.to_string(),
                features: t.17.into(),
                based_on_version: None,
            };
            form.validate().ok()
        })
        .collect()
}

impl Store {
    /// Seeds the tiers when no template exists yet; returns how many it made.
    pub async fn seed_templates_if_empty(&self) -> Result<usize> {
        if self.count_templates().await? > 0 {
            return Ok(0);
        }
        let tiers = seed_templates();
        for t in &tiers {
            self.create_template(t, "system").await?;
        }
        Ok(tiers.len())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_seed_tier_passes_validation() {
        let tiers = super::seed_templates();
        assert_eq!(tiers.len(), super::TIERS.len());
        let ent = tiers
            .iter()
            .find(|t| t.key == "enterprise")
            .map(|t| &t.spec);
        assert_eq!(
            ent.map(|s| (
                s.postgres_instances,
                s.postgres_storage_gi,
                s.api_replicas,
                s.user_limit
            )),
            Some((3, 200, 3, None))
        );
    }
}
