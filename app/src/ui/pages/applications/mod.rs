//! Application pages: the list, one application with its releases, one
//! release (what it runs), and the release editor (YAML, checked by the
//! server as staff type).

mod detail;
mod editor;
mod list;
mod release;

pub use detail::ApplicationPage;
pub use editor::NewReleasePage;
pub use list::ApplicationListPage;
pub use release::{ReleasePage, ReleaseSummary};

/// A route parameter as text (empty when absent).
fn param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    use leptos::prelude::Get;
    let params = leptos_router::hooks::use_params_map();
    move || params.get().get(name).unwrap_or_default()
}
