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
    /// API keys Tenantry issues for the tenant (e.g. a production and a
    /// development key): each shown to staff once, kept by Tenantry only as
    /// its SHA-256 hash; the application finds the hashes to check callers
    /// against in files under `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<ApiKeysSpec>,
}

/// The API keys a release's tenants get, and where the application reads
/// their hashes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiKeysSpec {
    /// The keys' names (1 to 4; a-z, 0-9 and '-', starting with a letter,
    /// at most 30), e.g. `production` and `development`.
    pub names: Vec<String>,
    /// A directory in every component and job holding one file per key
    /// name: the hex SHA-256 hashes a caller's key may have, one a line
    /// (two while a rotation's overlap lasts). The kubelet updates the
    /// files in running pods.
    pub path: String,
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

/// One of a tenant's API keys as staff see it: never the key, never its
/// hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyDto {
    pub name: String,
    /// When the current key was issued (ms since the epoch) and by whom;
    /// `None` while it was never issued.
    pub issued_at: Option<i64>,
    pub issued_by: Option<String>,
    /// While a rotation's overlap lasts: when the key before it stops
    /// being accepted (ms since the epoch).
    pub previous_until: Option<i64>,
}

/// A key just issued: shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedApiKey {
    pub name: String,
    pub key: String,
    /// Until when the key it replaced is still accepted (ms), if at all.
    pub previous_until: Option<i64>,
}

/// The rotation form as typed: how long the replaced key stays valid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RotateKeyForm {
    /// Whole hours (0 to 720) the replaced key keeps working; empty for 24.
    #[serde(deserialize_with = "super::lenient::text")]
    pub overlap_hours: String,
}

/// How long a replaced key keeps working unless the rotation says.
pub const DEFAULT_KEY_OVERLAP_HOURS: u32 = 24;
/// The longest overlap a rotation may ask for (30 days).
pub const MAX_KEY_OVERLAP_HOURS: u32 = 720;

/// A message Tenantry sends a tenant's owner, as it reads (its one-time
/// link shown as a placeholder), and whether it went out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OwnerMessageDto {
    /// `welcome`, `deprovision-notice` or `deprovisioned`.
    pub message: String,
    /// When it is sent.
    pub when: String,
    /// Its delivery (`pending`, `sent`, `failed`); `None` while not queued.
    pub state: Option<String>,
    pub sent_at: Option<i64>,
    pub subject: String,
    pub text: String,
}

/// The tenant's owner messages and the channel that sends them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OwnerMessagesDto {
    /// The e-mail channel named by `--owner-channel`; none: nothing is
    /// sent.
    pub channel: Option<String>,
    pub messages: Vec<OwnerMessageDto>,
}
