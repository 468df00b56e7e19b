//! What a release takes of the tenant contract (`contract` in a release):
//! the tenant admin, the tenant's configuration, health endpoints. See
//! `domain::release::contract` for their rules and what Tenantry renders.

use serde::{Deserialize, Serialize};

/// The parts of the tenant contract a release takes: Tenantry delivers
/// each the same way for every application.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContractSpec {
    /// A tenant admin: Tenantry generates its user name (from the owner's
    /// e-mail address) and a password once, in the `tenant-admin` Secret,
    /// shown to staff once with the other credentials; the release hands
    /// them on with `${admin.username}` and `${admin.password}` (e.g. to a
    /// `post-provision` job that creates the account).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// A directory where every component and job finds `tenant.json`
    /// (the `tenant-config` ConfigMap): the tenant, its plan's features
    /// and limits, and its custom fields (branding). A change of any of
    /// them reaches the pods at the next update run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    /// Endpoints checked after every rollout through the API server's
    /// service proxy: the run fails with the answer unless each is 2xx
    /// within its timeout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<HealthCheckSpec>,
}

impl ContractSpec {
    pub fn is_empty(&self) -> bool {
        self == &ContractSpec::default()
    }
}

/// One health endpoint of a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSpec {
    /// A component with ports.
    pub component: String,
    /// A path starting with '/'.
    pub path: String,
    /// A port's name (the component's first unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// How long the endpoint may take to answer 2xx (seconds, 1 to 3600;
    /// 60 unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
}

/// How long a health endpoint may take when its check names no timeout.
pub const DEFAULT_HEALTH_TIMEOUT_SECS: u32 = 60;
