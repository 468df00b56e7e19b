//! Template (tier) pages: list, one template with its versions, new and edit.

mod detail;
mod form;
mod list;

pub use detail::TemplateDetailPage;
pub use form::{EditTemplatePage, NewTemplatePage};
pub use list::TemplateListPage;

/// The `:id` of a template route (0, which no template has, when absent).
fn template_id_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    use leptos::prelude::Get;
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .get()
            .get("id")
            .and_then(|i| i.parse::<i64>().ok())
            .unwrap_or(0)
    }
}
