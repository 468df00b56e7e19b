use serde::{Deserialize, Serialize};

/// Where a tenant is in its life. A record made by the console starts as
/// `Pending` until the provisioning engine takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TenantState {
    Pending,
    Provisioning,
    Active,
    Degraded,
    Suspended,
    Deprovisioning,
    Deprovisioned,
    Failed,
}

impl TenantState {
    pub const ALL: [TenantState; 8] = [
        TenantState::Pending,
        TenantState::Provisioning,
        TenantState::Active,
        TenantState::Degraded,
        TenantState::Suspended,
        TenantState::Deprovisioning,
        TenantState::Deprovisioned,
        TenantState::Failed,
    ];

    /// Serving its application: provisioned and not suspended (active, or
    /// degraded). The one spelling of "live".
    pub fn is_live(self) -> bool {
        matches!(self, TenantState::Active | TenantState::Degraded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::Pending => "pending",
            TenantState::Provisioning => "provisioning",
            TenantState::Active => "active",
            TenantState::Degraded => "degraded",
            TenantState::Suspended => "suspended",
            TenantState::Deprovisioning => "deprovisioning",
            TenantState::Deprovisioned => "deprovisioned",
            TenantState::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<TenantState> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

impl std::fmt::Display for TenantState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TenantDto {
    pub id: String,
    /// Decided when the tenant was created, stored, never recomputed.
    pub namespace: String,
    /// The UID of the namespace Tenantry created (once it exists).
    #[serde(default)]
    pub namespace_uid: Option<String>,
    pub company_name: String,
    pub owner_email: String,
    pub owner_name: String,
    pub template_id: i64,
    pub template_name: String,
    pub template_version: i64,
    /// The release of its plan's application it runs.
    #[serde(default = "first_release")]
    pub release: i64,
    pub custom_domain: Option<String>,
    /// Its custom field values as given (a field without one reads its
    /// release's default).
    #[serde(default)]
    pub custom_fields: super::CustomValues,
    pub state: TenantState,
    /// Why the state is what it is, e.g. "api 1/2 ready".
    pub state_detail: Option<String>,
    /// When the state was last checked against the cluster (ms since epoch).
    pub observed_at: Option<i64>,
    /// Replica overrides; `None` follows the tier.
    pub api_replicas: Option<i64>,
    pub web_replicas: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by: String,
    /// Live health, filled in by the console from the cluster view.
    #[serde(default)]
    pub health: Option<super::HealthDto>,
    /// Where the tenant is reached now (`https://<id>.<base domain>`, then
    /// the custom domain its routes serve), filled in by the console; none
    /// while its routes are not served (not yet provisioned, suspended,
    /// deprovisioned).
    #[serde(default)]
    pub urls: Vec<String>,
    /// The custom domain its routes serve now: an edited `custom_domain`
    /// is served once an update applied it.
    #[serde(default)]
    pub served_domain: Option<String>,
    /// The custom domain DNS showed pointing at the ingress (or staff let
    /// through): only then is it served. A domain that differs is held.
    #[serde(default)]
    pub domain_verified: Option<String>,
    /// What the last DNS check of the custom domain found, and when (ms).
    #[serde(default)]
    pub domain_check: Option<String>,
    #[serde(default)]
    pub domain_checked_at: Option<i64>,
    /// When the generated credentials were shown (they are shown once), and to whom.
    #[serde(default)]
    pub credentials_shown_at: Option<i64>,
    #[serde(default)]
    pub credentials_shown_by: Option<String>,
    /// The generated Secrets rotated since the credentials were last
    /// shown: their new values can be shown once more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials_rotated: Vec<String>,
    /// When a rotation of its generated Secrets was last started (ms): its
    /// Deployments' pod templates carry it, so the pods roll onto them.
    #[serde(default)]
    pub secrets_rotated_at: Option<i64>,
    /// Made without a plan (by an admin): sized by its application's
    /// custom plan (see `domain::custom_plan`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub custom_plan: bool,
    /// When its newest backup still in the store was taken (ms), if any.
    #[serde(default)]
    pub last_backup_at: Option<i64>,
    /// When it first stood active, degraded or suspended (ms); once set,
    /// nothing but Deprovision removes its namespace or database.
    #[serde(default)]
    pub first_live_at: Option<i64>,
}

fn first_release() -> i64 {
    1
}

impl TenantDto {
    /// The custom domain its routes are rendered with: the one it has,
    /// once DNS showed it pointing here (or staff let it through).
    pub fn domain_to_serve(&self) -> Option<&str> {
        self.custom_domain
            .as_deref()
            .filter(|d| self.domain_verified.as_deref() == Some(*d))
    }

    /// Its custom domain, while DNS holds it back.
    pub fn held_domain(&self) -> Option<&str> {
        self.custom_domain
            .as_deref()
            .filter(|_| self.domain_to_serve().is_none())
    }

    /// Whether it was ever live (see [`TenantDto::first_live_at`]).
    pub fn ever_live(&self) -> bool {
        self.first_live_at.is_some()
    }
}

/// A generated credential, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credential {
    /// "db-credentials/password", …
    pub name: String,
    pub value: String,
}

/// The "New tenant" form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct NewTenantForm {
    pub company_name: String,
    pub owner_email: String,
    pub owner_name: String,
    /// The plan's id, or `custom:<application key>` for a tenant without
    /// a plan (admins; sized by the application's custom plan).
    #[serde(deserialize_with = "super::lenient::text")]
    pub template_id: String,
    pub custom_domain: String,
    /// Empty: generate one from the company name.
    pub tenant_id: String,
    /// Start provisioning as soon as the record exists.
    pub provision: bool,
    /// With `provision`: start it at this UTC time instead ("2026-12-01T09:30",
    /// seconds and "Z" optional); empty to start now.
    pub provision_at: String,
    /// Values of the custom fields its application's release declares.
    pub custom_fields: super::CustomValues,
}

/// The editable fields of an existing tenant record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TenantForm {
    pub company_name: String,
    pub owner_email: String,
    pub owner_name: String,
    pub custom_domain: String,
    /// The record's `updated_at` this edit started from: the save is
    /// refused when the tenant was changed since (the API takes it from
    /// `If-Match`).
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub based_on_updated_at: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TenantSort {
    #[default]
    Created,
    Company,
    Id,
    State,
    Template,
}

impl TenantSort {
    pub const ALL: [TenantSort; 5] = [
        TenantSort::Created,
        TenantSort::Company,
        TenantSort::Id,
        TenantSort::State,
        TenantSort::Template,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TenantSort::Created => "created",
            TenantSort::Company => "company",
            TenantSort::Id => "id",
            TenantSort::State => "state",
            TenantSort::Template => "template",
        }
    }

    pub fn parse(value: &str) -> Option<TenantSort> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Search, filter, sort and paging of the tenant list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[serde(default)]
pub struct TenantQuery {
    pub q: String,
    pub template_id: Option<i64>,
    pub state: Option<TenantState>,
    pub health: Option<super::Health>,
    pub sort: TenantSort,
    pub desc: bool,
    pub page: u32,
    pub per_page: u32,
}

impl TenantQuery {
    pub const DEFAULT_PER_PAGE: u32 = super::page::DEFAULT_PER_PAGE;
    pub const MAX_PER_PAGE: u32 = super::page::MAX_PER_PAGE;

    /// Page numbers start at 1; page sizes are capped.
    pub fn normalised(mut self) -> Self {
        (self.page, self.per_page) = super::page::page_bounds(self.page, self.per_page);
        self.q = self.q.trim().chars().take(200).collect();
        self
    }
}

/// The live answer to "may I use this tenant ID?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IdCheck {
    pub id: String,
    pub ok: bool,
    pub message: String,
}
