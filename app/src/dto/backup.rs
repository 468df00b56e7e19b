//! The backup catalogue as staff see it, and the restore request.

use serde::{Deserialize, Serialize};

string_enum!(
    /// How a backup came to be.
    BackupMethod {
        Scheduled => "scheduled",
        OnDemand => "on_demand",
        PreDeprovision => "pre_deprovision",
        PreRestore => "pre_restore",
        PreMigrate => "pre_migrate",
    }
);

impl BackupMethod {
    /// As the page says it.
    pub fn label(self) -> &'static str {
        match self {
            BackupMethod::Scheduled => "scheduled",
            BackupMethod::OnDemand => "on demand",
            BackupMethod::PreDeprovision => "before deprovisioning",
            BackupMethod::PreRestore => "before a restore",
            BackupMethod::PreMigrate => "before a migration",
        }
    }
}

/// One dump in the object store, as the catalogue records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BackupDto {
    pub id: i64,
    pub tenant_id: String,
    pub method: BackupMethod,
    /// The run that made it (back up now, deprovisioning), if any.
    pub run_id: Option<i64>,
    /// When the dump finished (ms since the epoch).
    pub taken_at: i64,
    /// `s3://bucket/key` of the dump.
    pub location: String,
    pub size_bytes: i64,
    /// SHA-256 of the dump, checked again before a restore.
    pub sha256: String,
    /// Set when the dump fell outside the tier's retention and was deleted
    /// from the store; such a backup cannot be restored.
    pub pruned_at: Option<i64>,
}

/// A restore as typed: which backup, and the tenant ID repeated (a restore
/// replaces the tenant's data). The data it replaces is dumped first
/// (`pre_restore`) unless `without_backup` repeats the tenant ID once more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RestoreForm {
    #[serde(deserialize_with = "super::lenient::text")]
    pub backup_id: String,
    pub confirm: String,
    /// The tenant ID typed again to skip the dump taken before the restore
    /// (a security event); empty keeps it.
    pub without_backup: String,
}
