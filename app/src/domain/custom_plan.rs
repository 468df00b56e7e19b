//! Tenants without a plan. Admins make a tenant of an application as
//! "custom" (the wizard's "custom (no plan)", `template_id`
//! `custom:<application key>`, the CLI's `--template custom:<key>`): it
//! runs the application's newest release, sized by the application's
//! custom plan — one per application, made the first time a tenant needs
//! it, with [`custom_spec`]. Custom plans are listed with the plans,
//! marked custom (admins may resize them), and never offered as a plan to
//! choose; a tenant on one is shown and audited as custom.

use crate::dto::{TierSpec, DEFAULT_BACKUP_RETENTION, DEFAULT_BACKUP_SCHEDULE};

/// What `template_id` starts with to ask for a tenant without a plan.
pub const CUSTOM_PREFIX: &str = "custom:";
/// The name custom plans go by.
pub const CUSTOM_PLAN_NAME: &str = "Custom (no plan)";
/// What plan keys may not start with: the custom plans' keys do.
pub const CUSTOM_KEY_PREFIX: &str = "custom-";

/// The key of application `application`'s custom plan.
pub fn custom_key(application: &str) -> String {
    format!("{CUSTOM_KEY_PREFIX}{application}")
}

/// The application a `template_id` asks a custom tenant of, if it does.
pub fn custom_application(template_id: &str) -> Option<&str> {
    template_id
        .trim()
        .strip_prefix(CUSTOM_PREFIX)
        .map(str::trim)
}

/// Application `key`'s (named `name`) custom plan as it is made: what the
/// store saves, and what a preview shows before it is.
pub fn custom_plan(key: &str, name: &str) -> super::template_rules::ValidTemplate {
    super::template_rules::ValidTemplate {
        key: custom_key(key),
        application: Some(key.to_string()),
        name: CUSTOM_PLAN_NAME.into(),
        description: format!("Sizes the tenants of {name} made without a plan (by admins)."),
        spec: custom_spec(),
    }
}

/// How a custom plan sizes its tenants when it is made: one replica of
/// each component, modest requests, room for a release of several
/// components with its jobs, daily backups, custom domains allowed.
pub fn custom_spec() -> TierSpec {
    TierSpec {
        postgres_instances: 1,
        postgres_storage_gi: 10,
        api_replicas: 1,
        web_replicas: 1,
        cpu_request_m: 100,
        cpu_limit_m: 500,
        memory_request_mi: 128,
        memory_limit_mi: 512,
        user_limit: None,
        backup_enabled: true,
        backup_schedule: DEFAULT_BACKUP_SCHEDULE.into(),
        backup_retention: DEFAULT_BACKUP_RETENTION,
        quota_cpu_m: 4000,
        quota_memory_mi: 8192,
        quota_storage_gi: 50,
        quota_pods: 30,
        features: vec![super::tenant_rules::CUSTOM_DOMAIN_FEATURE.into()],
        limits: Default::default(),
        run_timeout_secs: crate::dto::DEFAULT_RUN_TIMEOUT_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{TemplateDto, TemplateForm};

    #[test]
    fn a_custom_tenant_is_asked_for_by_its_application() {
        assert_eq!(custom_application("custom:shop"), Some("shop"));
        assert_eq!(custom_application(" custom: shop "), Some("shop"));
        assert_eq!(custom_application("12"), None);
        assert_eq!(custom_key("shop"), "custom-shop");
    }

    #[test]
    fn the_custom_plan_passes_the_plan_rules() {
        let plan = TemplateDto {
            id: 1,
            key: custom_key("shop"),
            name: CUSTOM_PLAN_NAME.into(),
            description: String::new(),
            version: 1,
            spec: custom_spec(),
            updated_at: 0,
            updated_by: "tenantry".into(),
            tenant_count: 0,
            application_id: 1,
            application_key: "shop".into(),
            custom: true,
        };
        let valid = TemplateForm::from_template(&plan)
            .validate()
            .expect("a valid plan");
        assert_eq!(valid.spec, custom_spec());
    }
}
