//! What a tenant becomes on Kubernetes: its objects rendered from (tenant,
//! its application's release, its plan, settings, cluster capabilities).
//! Pure: no I/O, so the same function serves provisioning, dry-runs and
//! golden tests.

mod backup;
#[cfg(test)]
mod backup_tests;
mod components;
mod contract;
mod database;
mod edge;
mod env;
mod jobs;
mod mysql;
mod namespace;
mod parts;
#[cfg(test)]
mod release_tests;
mod routes;
pub mod security;
mod settings;

use app::dto::{CustomValues, JobPhase, ReleaseSpec, TierSpec};
use serde_json::{json, Value};

pub use backup::{
    backup_job, job_object_key, location_key, restore_job, scheduled_job, split_destination,
    stale_backup_objects, with_object, BACKUP_DEADLINE_SECS, BACKUP_JOB_PREFIX,
    BACKUP_METHOD_LABEL, BACKUP_RETAIN_ANNOTATION, BACKUP_SCHEDULE_NAME, BACKUP_SCRIPT,
    BACKUP_STORE_SECRET, RUN_LABEL,
};
pub use components::{replicas, AUTOSCALING_FEATURE, SECRETS_ROTATED};
pub use contract::{CONFIG_COMPONENT, KEY_HASHES_PLACEHOLDER, TENANT_CONFIG};
pub use database::DB_SUPERUSER_SECRET;
pub use edge::{edge_warning, EdgeLimits, ENVOY_POLICY_API};
pub use jobs::{job_prefix, JOB_COMPONENT, MIGRATION_COMPONENT};
pub use namespace::Generate;
pub use parts::fnv1a;
pub use routes::{tenant_hosts, ROUTE_KINDS};
pub use settings::{Capabilities, RenderSettings, RouteApi};

/// Label on every object Tenantry manages.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "tenantry");
/// Label naming the tenant an object belongs to.
pub const TENANT_LABEL: &str = "tenantry.io/tenant";
/// Name of the Secret holding the database credentials.
pub const DB_SECRET: &str = "db-credentials";

/// Everything about one tenant the renderer needs.
#[derive(Clone, Copy, Debug)]
pub struct TenantInput<'a> {
    pub id: &'a str,
    /// The namespace stored on the tenant's row.
    pub namespace: &'a str,
    pub custom_domain: Option<&'a str>,
    /// The owner's e-mail address (the tenant admin's name comes from it).
    pub owner_email: &'a str,
    pub template_key: &'a str,
    pub template_version: i64,
    pub tier: &'a TierSpec,
    /// The release of its application it runs (validated).
    pub release: &'a ReleaseSpec,
    /// Its custom field values as stored (fields without one read their
    /// default).
    pub custom_fields: &'a CustomValues,
    /// When a rotation of its generated Secrets last started (ms): its
    /// Deployments' pod templates carry it, so their pods roll onto them.
    pub secrets_rotated: Option<i64>,
}

/// No custom field values (tests, tenants of releases without fields).
pub static NO_CUSTOM_FIELDS: CustomValues = CustomValues::new();

impl TenantInput<'_> {
    /// Whether Tenantry dumps and restores its database (see [`dumps`]).
    pub fn dumps(&self) -> bool {
        dumps(self.release)
    }
}

/// Whether Tenantry dumps and restores a release's database: PostgreSQL,
/// unless the release turned backups off.
pub fn dumps(release: &ReleaseSpec) -> bool {
    release.database.dumped()
}

/// One rendered object and where it lives in the API.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    /// Lower-case plural resource name, e.g. "deployments".
    pub plural: String,
    pub name: String,
    pub namespace: Option<String>,
    pub body: Value,
    /// For a Secret Tenantry generates: how each key is made (never in
    /// `body`, which shows no values).
    pub generated: Vec<(String, Generate)>,
}

impl Manifest {
    pub(crate) fn new(
        api_version: &str,
        kind: &str,
        plural: &str,
        name: &str,
        namespace: Option<&str>,
        mut body: Value,
    ) -> Self {
        body["apiVersion"] = json!(api_version);
        body["kind"] = json!(kind);
        Manifest {
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
            name: name.into(),
            namespace: namespace.map(Into::into),
            body,
            generated: vec![],
        }
    }

    /// The same object under its name with `suffix` (a Job run again: a
    /// Job's spec is immutable, so another run of it is another Job).
    pub fn suffixed(&self, suffix: &str) -> Manifest {
        self.renamed(&format!("{}{suffix}", self.name))
    }

    /// The same object named `name`.
    pub fn renamed(&self, name: &str) -> Manifest {
        let mut m = self.clone();
        m.name = name.to_string();
        m.body["metadata"]["name"] = json!(m.name);
        m
    }

    /// "Deployment tenant-acme/api", for messages.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// Labels every object of a tenant carries.
fn labels(t: &TenantInput, component: &str) -> Value {
    json!({
        MANAGED_BY.0: MANAGED_BY.1,
        TENANT_LABEL: t.id,
        "app.kubernetes.io/component": component,
        "tenantry.io/template": t.template_key,
        "tenantry.io/template-version": t.template_version.to_string(),
    })
}

/// Labels of pods: no template version, so a new template version does not
/// restart pods whose spec did not change.
fn pod_labels(t: &TenantInput, component: &str) -> Value {
    json!({ MANAGED_BY.0: MANAGED_BY.1, TENANT_LABEL: t.id, "app.kubernetes.io/component": component })
}

fn metadata(t: &TenantInput, name: &str, namespace: &str, component: &str) -> Value {
    json!({ "name": name, "namespace": namespace, "labels": labels(t, component) })
}

/// The namespace a new tenant gets. Decided once, when the tenant is
/// created, and stored on its row: everything later reads the row.
pub fn namespace_of(settings: &RenderSettings, id: &str) -> String {
    format!("{}{id}", settings.namespace_prefix)
}

/// Every object of a tenant, in the order they are applied. Secrets are
/// rendered without values: they are generated once, when first created.
pub fn render(t: &TenantInput, s: &RenderSettings, caps: &Capabilities) -> Vec<Manifest> {
    let ns = t.namespace;
    let mut out = namespace::render(t, s, caps, ns);
    out.extend(contract::render(t, s, caps, ns));
    out.extend(database::render(t, s, caps, ns));
    out.extend(components::render(t, s, caps, ns));
    out.extend(backup::render(t, s, caps, ns));
    out
}

/// The release's Jobs of `phase` for the tenant, in order (the migrations
/// are among [`render`]'s objects too, where they are applied).
pub fn phase_jobs(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    phase: JobPhase,
) -> Vec<Manifest> {
    jobs::render(t, s, caps, t.namespace, phase)
}

/// The migration Jobs among a tenant's manifests, in order.
pub fn migration_jobs(manifests: &[Manifest]) -> Vec<&Manifest> {
    manifests
        .iter()
        .filter(|m| {
            m.kind == "Job"
                && m.body["metadata"]["labels"]["app.kubernetes.io/component"]
                    == MIGRATION_COMPONENT
                && !m.name.starts_with(database::DB_ROLES_JOB_PREFIX)
        })
        .collect()
}

/// The Job that leaves the application's database role without superuser
/// rights (StatefulSet tenants only).
pub fn db_roles_job(manifests: &[Manifest]) -> Option<&Manifest> {
    manifests
        .iter()
        .find(|m| m.kind == "Job" && m.name.starts_with(database::DB_ROLES_JOB_PREFIX))
}

/// The manifests as one multi-document YAML stream (for dry-runs and goldens).
pub fn to_yaml(manifests: &[Manifest]) -> String {
    manifests
        .iter()
        .map(|m| {
            yaml_serde::to_string(&m.body).unwrap_or_else(|e| format!("# {}: {e}\n", m.describe()))
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Kubernetes quantities from the tier's units.
fn millicores(m: u32) -> String {
    format!("{m}m")
}
fn mebibytes(mi: u32) -> String {
    format!("{mi}Mi")
}
fn gibibytes(gi: u32) -> String {
    format!("{gi}Gi")
}

fn container_resources(tier: &TierSpec) -> Value {
    json!({
        "requests": { "cpu": millicores(tier.cpu_request_m), "memory": mebibytes(tier.memory_request_mi) },
        "limits": { "cpu": millicores(tier.cpu_limit_m), "memory": mebibytes(tier.memory_limit_mi) },
    })
}

#[cfg(test)]
mod tests;
