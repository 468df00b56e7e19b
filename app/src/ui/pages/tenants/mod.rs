//! Tenant pages: the list, the "New tenant" form, one tenant.

mod detail;
mod list;
mod new;

pub use detail::TenantDetailPage;
pub use list::TenantListPage;
pub use new::NewTenantPage;
