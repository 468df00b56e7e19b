//! Operations on tenants. Each starts a run the engine executes; the answer
//! is the run, whose steps the tenant page follows. Previews change nothing.

use leptos::prelude::*;

use crate::dto::{
    BackupDto, BulkForm, BulkResult, ChangeForm, ChangePreview, DeprovisionForm, NewTenantForm,
    RestoreForm, RotateSecretsForm, RunDto,
};
#[cfg(feature = "ssr")]
use crate::dto::{CurrentStaff, Operation};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Operations that start runs, their previews, and the backup catalogue.
    pub trait Operations {
        /// Provision, suspend, resume, clean up or back up (operations
        /// without options).
        [Page: provision_tenant suspend_tenant resume_tenant cleanup_tenant backup_tenant,
         Api: provision_tenant suspend_tenant resume_tenant cleanup_tenant backup_tenant]
        async fn start_operation(&self, who: &CurrentStaff, id: String, op: Operation) -> R<RunDto>;
        /// The dry-run of a change: rendered YAML and the diff against live objects.
        [Page, Api]
        async fn preview_tenant_change(&self, who: &CurrentStaff, id: String, form: ChangeForm) -> R<ChangePreview>;
        [Page, Api]
        async fn change_tenant(&self, who: &CurrentStaff, id: String, form: ChangeForm) -> R<RunDto>;
        [Page, Api]
        async fn deprovision_tenant(&self, who: &CurrentStaff, id: String, form: DeprovisionForm) -> R<RunDto>;
        /// Puts one of the tenant's catalogued backups back (admins).
        [Page, Api]
        async fn restore_tenant(&self, who: &CurrentStaff, id: String, form: RestoreForm) -> R<RunDto>;
        /// Makes the named generated Secrets anew (operators): their pods
        /// roll onto them, the jobs that read them run again, and their new
        /// values can be shown once.
        [Page, Api]
        async fn rotate_secrets(&self, who: &CurrentStaff, id: String, form: RotateSecretsForm) -> R<RunDto>;
        /// The tenant's generated Secrets a rotation may make anew.
        [Page]
        async fn rotatable_secrets(&self, who: &CurrentStaff, id: String) -> R<Vec<String>>;
        /// The tenant's backup catalogue, newest first.
        [Page, Api]
        async fn tenant_backups(&self, who: &CurrentStaff, id: String) -> R<Vec<BackupDto>>;
        /// One action over many tenants, each answered on its own.
        [Page, Api]
        async fn bulk_action(&self, who: &CurrentStaff, form: BulkForm) -> R<Vec<BulkResult>>;
        /// What provisioning a new tenant would create (nothing is stored).
        [Page, Api: dry_run_tenant]
        async fn preview_new_tenant(&self, who: &CurrentStaff, form: NewTenantForm) -> R<ChangePreview>;
    }
}

checked!(
    ProvisionTenant,
    SuspendTenant,
    ResumeTenant,
    CleanupTenant,
    BackupTenant,
    RestoreTenant,
    RotateSecrets,
    RotatableSecrets,
    TenantBackups,
    PreviewTenantChange,
    ChangeTenant,
    DeprovisionTenant,
    BulkAction,
    PreviewNewTenant,
);

#[server(prefix = "/api", endpoint = "provision_tenant")]
pub async fn provision_tenant(id: String) -> Result<RunDto, AppError> {
    serve!(start_operation(id, Operation::Provision))
}

#[server(prefix = "/api", endpoint = "suspend_tenant")]
pub async fn suspend_tenant(id: String) -> Result<RunDto, AppError> {
    serve!(start_operation(id, Operation::Suspend))
}

#[server(prefix = "/api", endpoint = "resume_tenant")]
pub async fn resume_tenant(id: String) -> Result<RunDto, AppError> {
    serve!(start_operation(id, Operation::Resume))
}

/// Removes what a failed provisioning left behind.
#[server(prefix = "/api", endpoint = "cleanup_tenant")]
pub async fn cleanup_tenant(id: String) -> Result<RunDto, AppError> {
    serve!(start_operation(id, Operation::Cleanup))
}

/// Dumps the tenant's database to the object store now.
#[server(prefix = "/api", endpoint = "backup_tenant")]
pub async fn backup_tenant(id: String) -> Result<RunDto, AppError> {
    serve!(start_operation(id, Operation::Backup))
}

/// Restores one of the tenant's backups (admins; the ID typed again).
#[server(prefix = "/api", endpoint = "restore_tenant")]
pub async fn restore_tenant(
    id: String,
    #[server(default)] form: RestoreForm,
) -> Result<RunDto, AppError> {
    serve!(restore_tenant(id, form))
}

/// The tenant's backup catalogue, newest first.
#[server(prefix = "/api", endpoint = "tenant_backups")]
pub async fn tenant_backups(id: String) -> Result<Vec<BackupDto>, AppError> {
    serve!(tenant_backups(id))
}

/// The dry-run of a change: rendered YAML and the diff against live objects.
#[server(prefix = "/api", endpoint = "preview_tenant_change")]
pub async fn preview_tenant_change(
    id: String,
    #[server(default)] form: ChangeForm,
) -> Result<ChangePreview, AppError> {
    serve!(preview_tenant_change(id, form))
}

#[server(prefix = "/api", endpoint = "change_tenant")]
pub async fn change_tenant(
    id: String,
    #[server(default)] form: ChangeForm,
) -> Result<RunDto, AppError> {
    serve!(change_tenant(id, form))
}

#[server(prefix = "/api", endpoint = "deprovision_tenant")]
pub async fn deprovision_tenant(
    id: String,
    #[server(default)] form: DeprovisionForm,
) -> Result<RunDto, AppError> {
    serve!(deprovision_tenant(id, form))
}

#[server(prefix = "/api", endpoint = "bulk_action")]
pub async fn bulk_action(#[server(default)] form: BulkForm) -> Result<Vec<BulkResult>, AppError> {
    serve!(bulk_action(form))
}

#[server(prefix = "/api", endpoint = "preview_new_tenant")]
pub async fn preview_new_tenant(
    #[server(default)] form: NewTenantForm,
) -> Result<ChangePreview, AppError> {
    serve!(preview_new_tenant(form))
}

/// Makes generated Secrets anew (operators); the answer is the run.
#[server(prefix = "/api", endpoint = "rotate_secrets")]
pub async fn rotate_secrets(
    id: String,
    #[server(default)] form: RotateSecretsForm,
) -> Result<RunDto, AppError> {
    serve!(rotate_secrets(id, form))
}

/// The tenant's generated Secrets a rotation may make anew.
#[server(prefix = "/api", endpoint = "rotatable_secrets")]
pub async fn rotatable_secrets(id: String) -> Result<Vec<String>, AppError> {
    serve!(rotatable_secrets(id))
}
