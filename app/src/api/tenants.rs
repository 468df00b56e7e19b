//! Tenant records: list, view, create, edit, delete, and tenant-ID help.

use leptos::prelude::*;

use crate::dto::{IdCheck, NewTenantForm, Page, TenantDto, TenantForm, TenantQuery};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "list_tenants")]
pub async fn list_tenants(
    #[server(default)] query: TenantQuery,
) -> Result<Page<TenantDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.list_tenants(&who, query).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "get_tenant")]
pub async fn get_tenant(id: String) -> Result<TenantDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.get_tenant(&who, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "create_tenant")]
pub async fn create_tenant(form: NewTenantForm) -> Result<TenantDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.create_tenant(&who, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "update_tenant")]
pub async fn update_tenant(id: String, form: TenantForm) -> Result<TenantDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.update_tenant(&who, id, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "delete_tenant")]
pub async fn delete_tenant(id: String) -> Result<(), AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.delete_tenant(&who, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "suggest_tenant_id")]
pub async fn suggest_tenant_id(company_name: String) -> Result<String, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.suggest_tenant_id(&who, company_name).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "check_tenant_id")]
pub async fn check_tenant_id(id: String) -> Result<IdCheck, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.check_tenant_id(&who, id).await
        }
        .await,
    )
}
