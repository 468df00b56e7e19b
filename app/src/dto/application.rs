//! Applications and their stored releases, as the console and the API
//! show them.

use serde::{Deserialize, Serialize};

use super::ReleaseSpec;

/// An application staff host for their tenants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApplicationDto {
    pub id: i64,
    /// Unique, never changes (`workshop-saas`).
    pub key: String,
    pub name: String,
    pub description: String,
    /// Its newest release's number (0 before the first).
    pub latest_release: i64,
    /// Plans (templates) that size it.
    pub plan_count: i64,
    /// Tenants on any of its releases.
    pub tenant_count: i64,
    pub created_at: i64,
    pub created_by: String,
}

/// One immutable release of an application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReleaseDto {
    pub application_id: i64,
    pub number: i64,
    /// The release as checked and rendered.
    pub spec: ReleaseSpec,
    /// The release as staff wrote it (YAML or JSON).
    pub source: String,
    pub notes: String,
    /// Tenants that run it.
    pub tenant_count: i64,
    pub created_at: i64,
    pub created_by: String,
    /// For a tenant's release: what the cluster cannot give the tenant on
    /// its plan (see `domain::release::fit`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A new application.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ApplicationForm {
    pub key: String,
    pub name: String,
    pub description: String,
}

/// A new release: its text (YAML or JSON, the release schema) and notes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ReleaseForm {
    pub source: String,
    pub notes: String,
    /// The newest release when this one was started: saving is refused if
    /// another was saved since (the API takes it from `If-Match`).
    pub based_on: Option<i64>,
}
