//! Template (tier) pages: list, one template with its versions, new and edit.

mod detail;
mod form;
mod list;

pub use detail::TemplateDetailPage;
pub use form::{EditTemplatePage, NewTemplatePage};
pub use list::TemplateListPage;
