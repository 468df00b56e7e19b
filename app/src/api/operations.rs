//! Operations on tenants. Each starts a run the engine executes; the answer
//! is the run, whose steps the tenant page follows.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::Operation;
use crate::dto::{BackupDto, ChangeForm, ChangePreview, DeprovisionForm, RestoreForm, RunDto};
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn start(id: String, op: Operation) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.start_operation(&who, id, op).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "provision_tenant")]
pub async fn provision_tenant(id: String) -> Result<RunDto, AppError> {
    start(id, Operation::Provision).await
}

#[server(prefix = "/api", endpoint = "suspend_tenant")]
pub async fn suspend_tenant(id: String) -> Result<RunDto, AppError> {
    start(id, Operation::Suspend).await
}

#[server(prefix = "/api", endpoint = "resume_tenant")]
pub async fn resume_tenant(id: String) -> Result<RunDto, AppError> {
    start(id, Operation::Resume).await
}

/// Removes what a failed provisioning left behind.
#[server(prefix = "/api", endpoint = "cleanup_tenant")]
pub async fn cleanup_tenant(id: String) -> Result<RunDto, AppError> {
    start(id, Operation::Cleanup).await
}

/// Dumps the tenant's database to the object store now.
#[server(prefix = "/api", endpoint = "backup_tenant")]
pub async fn backup_tenant(id: String) -> Result<RunDto, AppError> {
    start(id, Operation::Backup).await
}

/// Restores one of the tenant's backups (admins; the ID typed again).
#[server(prefix = "/api", endpoint = "restore_tenant")]
pub async fn restore_tenant(
    id: String,
    #[server(default)] form: RestoreForm,
) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.restore_tenant(&who, id, form).await
        }
        .await,
    )
}

/// The tenant's backup catalogue, newest first.
#[server(prefix = "/api", endpoint = "tenant_backups")]
pub async fn tenant_backups(id: String) -> Result<Vec<BackupDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.tenant_backups(&who, id).await
        }
        .await,
    )
}

/// The dry-run of a change: rendered YAML and the diff against live objects.
#[server(prefix = "/api", endpoint = "preview_tenant_change")]
pub async fn preview_tenant_change(
    id: String,
    #[server(default)] form: ChangeForm,
) -> Result<ChangePreview, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.preview_tenant_change(&who, id, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "change_tenant")]
pub async fn change_tenant(
    id: String,
    #[server(default)] form: ChangeForm,
) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.change_tenant(&who, id, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "deprovision_tenant")]
pub async fn deprovision_tenant(
    id: String,
    #[server(default)] form: DeprovisionForm,
) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.deprovision_tenant(&who, id, form).await
        }
        .await,
    )
}
