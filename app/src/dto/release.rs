//! An application's release as staff write it (YAML or JSON, one schema):
//! its components, database, generated secrets, jobs by phase and values.
//! Releases are immutable once stored; `domain::release` checks one before
//! it is, and `server/src/manifests` turns one into a tenant's objects.

use serde::{Deserialize, Serialize};

/// One release of an application: what every tenant on it runs. Sizes
/// (replicas, resources, storage, autoscaling bounds) come from the
/// tenant's plan unless a component overrides them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// The Pod Security level every pod of the release meets.
    #[serde(default)]
    pub pod_security: PodSecurity,
    /// Why the release needs a level below `restricted` (required then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_security_reason: Option<String>,
    #[serde(default)]
    pub database: DatabaseSpec,
    /// Secrets generated once per tenant (and shown once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretSpec>,
    /// What staff fill in for each tenant (`${field.<name>}` in values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<super::CustomFieldSpec>,
    /// Environment every component and job gets, before its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    pub components: Vec<ComponentSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobSpec>,
    /// What the release takes of the tenant contract.
    #[serde(default, skip_serializing_if = "super::ContractSpec::is_empty")]
    pub contract: super::ContractSpec,
}

impl ReleaseSpec {
    /// Whether a move onto this release dumps the database before its
    /// migrations (one of its migrate jobs asks for it).
    pub fn backup_first(&self) -> bool {
        self.jobs
            .iter()
            .any(|j| j.phase == JobPhase::Migrate && j.backup_first)
    }
}

string_enum!(
    /// Pod Security Standards level (`restricted` unless a reason is given).
    #[derive(Default)]
    PodSecurity {
        #[default]
        Restricted => "restricted",
        Baseline => "baseline",
    }
);

string_enum!(
    /// The database a release runs beside its components.
    DatabaseKind {
        Postgres => "postgres",
        Mysql => "mysql",
        None => "none",
    }
);

/// The tenant's database. Its connection details reach components through
/// the `db-credentials` Secret and the `${database.…}` values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    pub kind: DatabaseKind,
    /// The server's image (CloudNativePG's `imageName` for PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The database (and its owner's) name; `app` unless given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether dumps (before deprovisioning, scheduled, on demand) and
    /// restores are offered: PostgreSQL only; a MySQL release says `false`.
    #[serde(default = "yes")]
    pub backups: bool,
}

fn yes() -> bool {
    true
}

impl Default for DatabaseSpec {
    fn default() -> Self {
        DatabaseSpec {
            kind: DatabaseKind::None,
            image: None,
            name: None,
            backups: false,
        }
    }
}

/// The database's name when the release names none.
pub const DEFAULT_DATABASE_NAME: &str = "app";

impl DatabaseSpec {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(DEFAULT_DATABASE_NAME)
    }

    /// Whether Tenantry dumps and restores this database: PostgreSQL,
    /// unless the release turned backups off.
    pub fn dumped(&self) -> bool {
        self.kind == DatabaseKind::Postgres && self.backups
    }
}

/// A Secret generated once per tenant: each key random from its alphabet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    pub name: String,
    pub keys: Vec<SecretKeySpec>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretKeySpec {
    pub key: String,
    /// Characters (16 to 256).
    pub length: u32,
    #[serde(default)]
    pub alphabet: Alphabet,
}

string_enum!(
    /// What generated secrets are made of (all URL- and shell-safe).
    #[derive(Default)]
    Alphabet {
        #[default]
        Alphanumeric => "alphanumeric",
        Hex => "hex",
        Lowercase => "lowercase",
    }
);

impl Alphabet {
    pub fn chars(self) -> &'static [u8] {
        match self {
            Alphabet::Alphanumeric => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            }
            Alphabet::Hex => b"0123456789abcdef",
            Alphabet::Lowercase => b"abcdefghijklmnopqrstuvwxyz0123456789",
        }
    }
}

/// An environment variable; its value may hold `${…}` references (see
/// `domain::release::values`). A value that is exactly one secret
/// reference becomes a reference to the Secret, never its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// One long-running workload of the application (a Deployment, with a
/// Service when it has ports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    pub name: String,
    /// Rendered only for tenants whose plan has this feature; removing
    /// the feature from a plan removes the component at the next update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// `repository:tag` or `repository@sha256:…`; a name without a
    /// registry host gets the console's `--image-registry` mirror prefix.
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSpec>,
    /// Served on the tenant's hosts under this path prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<ProbeSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<ProbeSpec>,
    /// Replicas regardless of the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Resources regardless of the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcesSpec>,
    /// Scaled on CPU between the plan's bounds where the plan has the
    /// `autoscaling` feature and the cluster serves autoscalers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoscaleSpec>,
    /// Configuration files rendered from values (a ConfigMap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSpec>,
    /// Persistent volumes (claims; the component then runs one replica).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeSpec>,
    /// The user its container runs as (10001 unless given; never 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortSpec {
    /// An IANA service name: up to 15 of a-z, 0-9 and '-'.
    pub name: String,
    pub container_port: u16,
    /// The Service's port (the container's unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// A path prefix starting with '/'.
    pub path: String,
    /// The port served (the component's first unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
}

/// A probe: exactly one of `http`, `tcp` or `exec`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpProbe>,
    /// A port's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HttpProbe {
    pub path: String,
    /// A port's name.
    pub port: String,
}

/// Resources in the plan's units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourcesSpec {
    pub cpu_request_m: u32,
    pub cpu_limit_m: u32,
    pub memory_request_mi: u32,
    pub memory_limit_mi: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoscaleSpec {
    /// Target average CPU use, percent of the request (1 to 100).
    pub cpu_utilization: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Where the file appears in the container (absolute).
    pub path: String,
    /// Its text; may hold `${…}` references, but no secret.
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    pub name: String,
    pub mount_path: String,
    pub size_gi: u32,
}

/// When a job runs in a tenant's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum JobPhase {
    /// Before components roll out, on every release change.
    Migrate,
    /// Once, after the first healthy rollout.
    PostProvision,
    /// After a move to another release has rolled out.
    PostUpgrade,
    /// Before the namespace is removed.
    PreDeprovision,
}

impl JobPhase {
    pub const ALL: &'static [JobPhase] = &[
        JobPhase::Migrate,
        JobPhase::PostProvision,
        JobPhase::PostUpgrade,
        JobPhase::PreDeprovision,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            JobPhase::Migrate => "migrate",
            JobPhase::PostProvision => "post-provision",
            JobPhase::PostUpgrade => "post-upgrade",
            JobPhase::PreDeprovision => "pre-deprovision",
        }
    }
}

impl std::fmt::Display for JobPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job: run to completion at its phase (a step of the run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub name: String,
    pub phase: JobPhase,
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Retries of its pod before the step fails (4 unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<u32>,
    /// How many times its step runs it before the run fails (1 unless
    /// given, at most 10): each attempt is a Job of its own and a line of
    /// the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcesSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// A `migrate` job only: when an update moves a tenant onto this
    /// release from another, its database is dumped first (a catalogue
    /// entry `pre_migrate` of the update's run), so rolling the tenant back
    /// may restore the data as it was before the migration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backup_first: bool,
}

/// The user application containers run as unless a release says otherwise.
pub const DEFAULT_RUN_AS_USER: i64 = 10001;
