//! Small pages: not found.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main id="main" class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address."</p>
            <A href="/">"Back to the dashboard"</A>
        </main>
    }
}
