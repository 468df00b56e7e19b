//! Small pages: not found, and alerts until monitoring lands.

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

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <Title text="Alerts"/>
        <h1>"Alerts"</h1>
        <div class="panel empty">
            <p>"No alerts. Health monitoring of provisioned tenants raises alerts here once tenants run on a cluster."</p>
        </div>
    }
}
