//! What staff send to change a running tenant, and what the engine answers:
//! deprovisioning options, tier and replica changes, dry-run previews, and
//! the run list's query.

use serde::{Deserialize, Serialize};

use super::{Operation, RunState};

/// Options a run was started with, stored with the run (seed 002's
/// deprovisioning options plus an admin-only force).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RunOptions {
    /// Dump the database with a Job before anything is removed.
    pub backup: bool,
    /// Delete the tenant's audit events once it is gone (kept by default).
    pub purge_audit: bool,
    /// Access is cut at once; objects are removed after this many hours.
    pub grace_hours: u32,
    /// Remove finalizers that hold the namespace (admins only).
    pub force: bool,
    /// The catalogue entry a restore puts back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<i64>,
    /// The release an update moves the tenant from (its `post-upgrade`
    /// jobs run after the rollout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_from: Option<i64>,
    /// Tell the tenant's owner by mail when it starts and once it is gone
    /// (deprovisioning, through the owner channel).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notify_owner: bool,
    /// The generated Secrets a rotation makes anew (see
    /// `domain::release::rotation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotate: Vec<String>,
    /// The rollout that started the run (an update moving the tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<i64>,
}

impl RunOptions {
    /// The catalogued dump a run of `op` puts back: a restore's, or a
    /// roll-back's that restores.
    pub fn restores(&self, op: super::Operation) -> Option<i64> {
        self.backup_id
            .filter(|_| matches!(op, super::Operation::Restore | super::Operation::Update))
    }
}

/// A rotation of a tenant's generated Secrets: which ones (the release's
/// own, `tenant-admin`; see `domain::release::rotation`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RotateSecretsForm {
    pub secrets: Vec<String>,
}

/// The deprovisioning form as typed. Checkboxes are absent when unticked,
/// so every flag defaults to false; the page ticks backup.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DeprovisionForm {
    pub backup: bool,
    pub purge_audit: bool,
    /// Whole hours, empty for none.
    #[serde(deserialize_with = "super::lenient::text")]
    pub grace_hours: String,
    /// Start at this UTC time ("2026-12-01T09:30", seconds and "Z" optional);
    /// empty to start now.
    pub scheduled_at: String,
    pub force: bool,
    /// Tell the owner by mail when it starts and once the tenant is gone.
    pub notify_owner: bool,
    /// Must repeat the tenant ID: deprovisioning cannot be undone.
    pub confirm: String,
}

/// A tier or replica change. Empty fields keep what the tenant has;
/// `tier` as a replica count drops the override and follows the tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ChangeForm {
    #[serde(deserialize_with = "super::lenient::text")]
    pub template_id: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub api_replicas: String,
    #[serde(deserialize_with = "super::lenient::text")]
    pub web_replicas: String,
    /// The release of the tenant's application to move to (empty: keep).
    #[serde(deserialize_with = "super::lenient::text")]
    pub release: String,
    /// Custom field values to change: a name not given keeps its value,
    /// one given empty goes back to its default.
    #[serde(default)]
    pub custom_fields: super::CustomValues,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChangeAction {
    Create,
    Update,
    Unchanged,
    Delete,
}

/// One field whose live value differs from the desired one. Secret values
/// never appear: Secrets are compared by name only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub path: String,
    pub live: Option<String>,
    pub desired: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ObjectChange {
    pub kind: String,
    pub name: String,
    pub action: ChangeAction,
    pub fields: Vec<FieldChange>,
}

/// A dry-run: the rendered objects as YAML and, when the cluster answered,
/// what applying them would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangePreview {
    pub tenant_id: String,
    pub template_name: String,
    pub template_version: i64,
    /// The release the tenant would run, and the one it runs now.
    #[serde(default)]
    pub release: i64,
    #[serde(default)]
    pub release_now: i64,
    pub yaml: String,
    pub objects: Vec<ObjectChange>,
    /// False when the diff could not be computed (no cluster reachable).
    pub compared_with_live: bool,
    /// What the cluster cannot give the tenant on this plan and release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A new tenant checked and rendered, nothing stored: what is wrong (each
/// field and rule) and what the cluster cannot give, as separate lists,
/// and what provisioning would create when nothing is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantDryRun {
    pub valid: bool,
    pub errors: Vec<crate::error::FieldError>,
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<ChangePreview>,
}

impl ChangePreview {
    /// Objects that would be created, changed or removed.
    pub fn changes(&self) -> impl Iterator<Item = &ObjectChange> {
        self.objects
            .iter()
            .filter(|o| o.action != ChangeAction::Unchanged)
    }
}

/// Filters and paging of the run list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(default)]
pub struct RunQuery {
    pub state: Option<RunState>,
    pub operation: Option<Operation>,
    /// Exact tenant ID, empty for all.
    pub tenant: String,
    pub page: u32,
    pub per_page: u32,
}

impl RunQuery {
    pub const DEFAULT_PER_PAGE: u32 = super::page::DEFAULT_PER_PAGE;
    pub const MAX_PER_PAGE: u32 = super::page::MAX_PER_PAGE;

    pub fn normalised(mut self) -> Self {
        (self.page, self.per_page) = super::page::page_bounds(self.page, self.per_page);
        self.tenant = self.tenant.trim().chars().take(100).collect();
        self
    }
}

/// What a bulk action did to one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkResult {
    pub tenant_id: String,
    pub ok: bool,
    pub message: String,
    pub run_id: Option<i64>,
    /// The rollout that moves it (a bulk change of plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_id: Option<i64>,
}

/// A bulk action over selected tenants. Deprovisioning many is for admins:
/// `confirm` is the number of selected tenants, typed; each is backed up
/// first and kept for a grace period of at least an hour. Changing the
/// plan of many (`change_plan`, with `template_id`) starts a rollout: one
/// tenant first, then the rest, stopping itself on the first failure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BulkForm {
    pub action: String,
    pub ids: Vec<String>,
    pub confirm: String,
    /// Deprovision only: whole hours before anything is removed (empty:
    /// the least, one hour).
    #[serde(deserialize_with = "super::lenient::text")]
    pub grace_hours: String,
    /// Change plan only: the plan the selected tenants move to.
    #[serde(deserialize_with = "super::lenient::text")]
    pub template_id: String,
}

/// The most tenants one bulk action may touch.
pub const MAX_BULK: usize = 100;
