//! One module per page (or family of pages).

mod account;
mod audit;
mod dashboard;
mod login;
mod misc;
mod runs;
mod staff;
mod templates;
mod tenants;

pub use account::AccountPasswordPage;
pub use audit::AuditPage;
pub use dashboard::DashboardPage;
pub use login::LoginPage;
pub use misc::{AlertsPage, NotFoundPage};
pub use runs::RunListPage;
pub use staff::StaffPage;
pub use templates::{EditTemplatePage, NewTemplatePage, TemplateDetailPage, TemplateListPage};
pub use tenants::{NewTenantPage, TenantDetailPage, TenantListPage};
