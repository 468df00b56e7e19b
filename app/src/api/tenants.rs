//! Tenant records: list, view, create, edit, delete, tenant-ID help, and
//! what the cluster shows of a tenant.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{
    IdCheck, NewTenantForm, OwnerMessagesDto, Page, TenantDto, TenantForm, TenantLiveDto,
    TenantQuery,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Tenant records and what the cluster shows of them.
    pub trait Tenants {
        [Page, Api]
        async fn list_tenants(&self, who: &CurrentStaff, query: TenantQuery) -> R<Page<TenantDto>>;
        [Page, Api]
        async fn get_tenant(&self, who: &CurrentStaff, id: String) -> R<TenantDto>;
        /// A record, provisioned at once when the form asks.
        [Page, Api]
        async fn create_tenant(&self, who: &CurrentStaff, form: NewTenantForm) -> R<TenantDto>;
        [Page, Api]
        async fn update_tenant(&self, who: &CurrentStaff, id: String, form: TenantForm) -> R<TenantDto>;
        [Page, Api]
        async fn delete_tenant(&self, who: &CurrentStaff, id: String) -> R<()>;
        /// Serves the tenant's custom domain, which DNS holds back, without
        /// its check (admins; audited).
        [Page, Api]
        async fn override_domain_check(&self, who: &CurrentStaff, id: String) -> R<TenantDto>;
        /// What Tenantry writes to the tenant's owner (previews) and what
        /// went out.
        [Page, Api]
        async fn owner_messages(&self, who: &CurrentStaff, id: String) -> R<OwnerMessagesDto>;
        /// A free tenant ID made from a company name (the form's help).
        [Page]
        async fn suggest_tenant_id(&self, who: &CurrentStaff, company_name: String) -> R<String>;
        [Page, Api]
        async fn check_tenant_id(&self, who: &CurrentStaff, id: String) -> R<IdCheck>;
        /// Health, pods, workloads and Kubernetes events of one tenant.
        [Page, Api]
        async fn tenant_live(&self, who: &CurrentStaff, id: String) -> R<TenantLiveDto>;
    }
}

checked!(
    ListTenants,
    GetTenant,
    CreateTenant,
    UpdateTenant,
    DeleteTenant,
    OverrideDomainCheck,
    OwnerMessages,
    SuggestTenantId,
    CheckTenantId,
    TenantLive,
);

#[server(prefix = "/api", endpoint = "list_tenants")]
pub async fn list_tenants(
    #[server(default)] query: TenantQuery,
) -> Result<Page<TenantDto>, AppError> {
    serve!(list_tenants(query))
}

#[server(prefix = "/api", endpoint = "get_tenant")]
pub async fn get_tenant(id: String) -> Result<TenantDto, AppError> {
    serve!(get_tenant(id))
}

#[server(prefix = "/api", endpoint = "create_tenant")]
pub async fn create_tenant(form: NewTenantForm) -> Result<TenantDto, AppError> {
    serve!(create_tenant(form))
}

#[server(prefix = "/api", endpoint = "update_tenant")]
pub async fn update_tenant(id: String, form: TenantForm) -> Result<TenantDto, AppError> {
    serve!(update_tenant(id, form))
}

#[server(prefix = "/api", endpoint = "delete_tenant")]
pub async fn delete_tenant(id: String) -> Result<(), AppError> {
    serve!(delete_tenant(id))
}

/// Serves a held custom domain without its DNS check (admins).
#[server(prefix = "/api", endpoint = "override_domain_check")]
pub async fn override_domain_check(id: String) -> Result<TenantDto, AppError> {
    serve!(override_domain_check(id))
}

/// What Tenantry writes to the tenant's owner, and what went out.
#[server(prefix = "/api", endpoint = "owner_messages")]
pub async fn owner_messages(id: String) -> Result<OwnerMessagesDto, AppError> {
    serve!(owner_messages(id))
}

#[server(prefix = "/api", endpoint = "suggest_tenant_id")]
pub async fn suggest_tenant_id(company_name: String) -> Result<String, AppError> {
    serve!(suggest_tenant_id(company_name))
}

#[server(prefix = "/api", endpoint = "check_tenant_id")]
pub async fn check_tenant_id(id: String) -> Result<IdCheck, AppError> {
    serve!(check_tenant_id(id))
}

#[server(prefix = "/api", endpoint = "tenant_live")]
pub async fn tenant_live(id: String) -> Result<TenantLiveDto, AppError> {
    serve!(tenant_live(id))
}
