//! One module per page (or family of pages).

mod account;
pub(crate) mod alerts;
pub(crate) mod applications;
mod audit;
mod dashboard;
mod login;
mod misc;
mod rollouts;
mod runs;
mod staff;
mod stats;
mod templates;
mod tenants;
mod tokens;

pub use account::AccountPasswordPage;
pub use alerts::{AlertsPage, ChannelsPage};
pub use applications::{ApplicationListPage, ApplicationPage, NewReleasePage, ReleasePage};
pub use audit::AuditPage;
pub use dashboard::DashboardPage;
pub use login::LoginPage;
pub use misc::NotFoundPage;
pub use rollouts::{RolloutListPage, RolloutPage};
pub use runs::RunListPage;
pub use staff::StaffPage;
pub use stats::StatsPage;
pub use templates::{EditTemplatePage, NewTemplatePage, TemplateDetailPage, TemplateListPage};
pub use tenants::{NewTenantPage, TenantDetailPage, TenantListPage};
pub use tokens::TokensPage;
