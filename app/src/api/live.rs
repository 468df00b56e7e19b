//! Live data for the tenant pages, bulk actions and the wizard's dry-run.
//! The stream itself is `GET /api/live?topics=…` (server-sent events).

use leptos::prelude::*;

use crate::dto::{BulkForm, BulkResult, ChangePreview, Credential, NewTenantForm, TenantLiveDto};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "tenant_live")]
pub async fn tenant_live(id: String) -> Result<TenantLiveDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.tenant_live(&who, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "bulk_action")]
pub async fn bulk_action(#[server(default)] form: BulkForm) -> Result<Vec<BulkResult>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.bulk_action(&who, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "preview_new_tenant")]
pub async fn preview_new_tenant(
    #[server(default)] form: NewTenantForm,
) -> Result<ChangePreview, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.preview_new_tenant(&who, form).await
        }
        .await,
    )
}

/// The credentials generated at provisioning, shown once (operators).
#[server(prefix = "/api", endpoint = "reveal_credentials")]
pub async fn reveal_credentials(id: String) -> Result<Vec<Credential>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.reveal_credentials(&who, id).await
        }
        .await,
    )
}
