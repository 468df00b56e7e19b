//! Tenant pages: the list, the "New tenant" wizard, one tenant live.

mod actions;
mod backups;
mod cluster;
mod credentials;
mod detail;
mod forms;
mod list;
mod new;
mod owner;
mod release;
mod secrets;
mod timeline;

pub use detail::TenantDetailPage;
pub use list::TenantListPage;
pub use new::NewTenantPage;
