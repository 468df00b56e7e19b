use serde::{Deserialize, Serialize};

/// Everything a tier fixes about a tenant: its PostgreSQL, its workloads'
/// size, and the namespace quota that caps them. Units are in the names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierSpec {
    pub postgres_instances: u32,
    pub postgres_storage_gi: u32,
    pub api_replicas: u32,
    pub web_replicas: u32,
    pub cpu_request_m: u32,
    pub cpu_limit_m: u32,
    pub memory_request_mi: u32,
    pub memory_limit_mi: u32,
    /// `None` means unlimited.
    pub user_limit: Option<u32>,
    pub backup_enabled: bool,
    /// When scheduled backups run: five cron fields, in UTC.
    #[serde(default = "default_backup_schedule")]
    pub backup_schedule: String,
    /// How many backups are kept per tenant; older ones are pruned.
    #[serde(default = "default_backup_retention")]
    pub backup_retention: u32,
    pub quota_cpu_m: u32,
    pub quota_memory_mi: u32,
    pub quota_storage_gi: u32,
    pub quota_pods: u32,
    pub features: Vec<String>,
    /// The plan's own named limits for its application (`schools: 10`),
    /// read as `${plan.limit.<name>}`; a limit not named is unlimited.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub limits: std::collections::BTreeMap<String, u64>,
    /// How long one provisioning, update or resume run of a tenant on the
    /// plan may take, from its first step (seconds); past it the run
    /// fails where it stands.
    #[serde(default = "default_run_timeout")]
    pub run_timeout_secs: u32,
}

impl TierSpec {
    /// Replicas the plan gives the component `name`: the API's and the web
    /// front end's are the plan's own fields; any other component runs one
    /// unless its release says otherwise.
    pub fn replicas_of(&self, name: &str) -> u32 {
        match name {
            "api" => self.api_replicas,
            "web" => self.web_replicas,
            _ => 1,
        }
    }
}

/// Daily at 02:00 UTC: what a template saved before schedules existed gets.
pub const DEFAULT_BACKUP_SCHEDULE: &str = "0 2 * * *";
pub const DEFAULT_BACKUP_RETENTION: u32 = 7;

fn default_backup_schedule() -> String {
    DEFAULT_BACKUP_SCHEDULE.into()
}

/// What a plan saved before run timeouts existed gets: the workshop
/// SaaS's own bound on provisioning.
pub const DEFAULT_RUN_TIMEOUT_SECS: u32 = 600;

fn default_run_timeout() -> u32 {
    DEFAULT_RUN_TIMEOUT_SECS
}

fn default_backup_retention() -> u32 {
    DEFAULT_BACKUP_RETENTION
}

/// A template at its current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateDto {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub spec: TierSpec,
    pub updated_at: i64,
    pub updated_by: String,
    pub tenant_count: i64,
    /// The application the plan sizes: its tenants run its releases.
    #[serde(default)]
    pub application_id: i64,
    #[serde(default)]
    pub application_key: String,
    /// The application's custom plan (see `domain::custom_plan`): it sizes
    /// tenants made without a plan, and is never offered as one.
    #[serde(default)]
    pub custom: bool,
}

/// A template as a choice in a list (filters, tier changes): no spec and no
/// tenant count, so offering it costs nothing however many tenants exist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateChoice {
    pub id: i64,
    pub name: String,
    pub version: i64,
}

impl From<&TemplateDto> for TemplateChoice {
    fn from(t: &TemplateDto) -> Self {
        TemplateChoice {
            id: t.id,
            name: t.name.clone(),
            version: t.version,
        }
    }
}

/// One immutable version of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateVersionDto {
    pub version: i64,
    pub name: String,
    pub description: String,
    pub spec: TierSpec,
    pub created_at: i64,
    pub created_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateDetail {
    pub template: TemplateDto,
    pub versions: Vec<TemplateVersionDto>,
}

/// A template as typed into the form: every field is text so that a wrong
/// number gets a message naming the field, not a decoding error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TemplateForm {
    #[serde(deserialize_with = "super::lenient::text")]
    pub key: String,
    /// The key of the application the plan sizes (empty: the seeded
    /// workshop SaaS for a new plan, unchanged for an edit).
    #[serde(deserialize_with = "super::lenient::text")]
    pub application: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub name: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub description: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub postgres_instances: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub postgres_storage_gi: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub api_replicas: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub web_replicas: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub cpu_request_m: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub cpu_limit_m: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub memory_request_mi: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub memory_limit_mi: String,
    /// Empty means unlimited.
    #[serde(deserialize_with = "super::lenient::text")]
    pub user_limit: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(deserialize_with = "super::lenient::checkbox")]
    pub backup_enabled: Option<String>,
    /// Five cron fields (UTC); empty for daily at 02:00.
    #[serde(deserialize_with = "super::lenient::text")]
    pub backup_schedule: String,
    /// Backups kept; empty for 7.
    #[serde(deserialize_with = "super::lenient::text")]
    pub backup_retention: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub quota_cpu_m: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub quota_memory_mi: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub quota_storage_gi: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub quota_pods: String,
    /// Comma-separated feature flags.
    #[serde(deserialize_with = "super::lenient::text")]
    pub features: String,
    /// Comma-separated named limits: `schools=10, products=500`.
    #[serde(deserialize_with = "super::lenient::text")]
    pub limits: String,
    /// Seconds a provisioning, update or resume run may take; empty for 600.
    #[serde(deserialize_with = "super::lenient::text")]
    pub run_timeout_secs: String,
    /// The version this edit started from: the save is refused when the
    /// template has moved on since (the API takes it from `If-Match`).
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub based_on_version: Option<i64>,
}

impl TemplateForm {
    /// The form pre-filled from an existing template, for editing.
    pub fn from_template(t: &TemplateDto) -> Self {
        let s = &t.spec;
        Self {
            key: t.key.clone(),
            application: t.application_key.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            postgres_instances: s.postgres_instances.to_string(),
            postgres_storage_gi: s.postgres_storage_gi.to_string(),
            api_replicas: s.api_replicas.to_string(),
            web_replicas: s.web_replicas.to_string(),
            cpu_request_m: s.cpu_request_m.to_string(),
            cpu_limit_m: s.cpu_limit_m.to_string(),
            memory_request_mi: s.memory_request_mi.to_string(),
            memory_limit_mi: s.memory_limit_mi.to_string(),
            user_limit: s.user_limit.map(|u| u.to_string()).unwrap_or_default(),
            backup_enabled: s.backup_enabled.then(|| "on".to_string()),
            backup_schedule: s.backup_schedule.clone(),
            backup_retention: s.backup_retention.to_string(),
            quota_cpu_m: s.quota_cpu_m.to_string(),
            quota_memory_mi: s.quota_memory_mi.to_string(),
            quota_storage_gi: s.quota_storage_gi.to_string(),
            quota_pods: s.quota_pods.to_string(),
            features: s.features.join(", "),
            limits: limits_text(&s.limits),
            run_timeout_secs: s.run_timeout_secs.to_string(),
            based_on_version: Some(t.version),
        }
    }
}

/// Named limits as typed in the form: `products=500, schools=10`.
pub fn limits_text(limits: &std::collections::BTreeMap<String, u64>) -> String {
    limits
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
