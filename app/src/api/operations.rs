//! Operations on tenants. Each starts a run the engine executes; the answer
//! is the run, whose steps the tenant page follows.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::Operation;
use crate::dto::{ChangeForm, ChangePreview, DeprovisionForm, RunDto};
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
