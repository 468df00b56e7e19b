//! Small pages: not found, and the live alerts list.

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

/// Open alerts, live: tenants that need attention and failed runs.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let tick = crate::ui::live::use_live(|| vec!["alerts".into(), "tenants".into()]);
    let data = Resource::new(move || tick.get(), |_| crate::api::dashboard::dashboard());
    view! {
        <Title text="Alerts"/>
        <h1>"Alerts"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <crate::ui::components::ErrorPanel err=e/> }.into_any(),
                    Ok(d) if d.alerts.is_empty() && d.recent_failures.is_empty() => view! {
                        <div class="panel empty"><p>"No alerts: every watched tenant is healthy and no run has failed."</p></div>
                    }.into_any(),
                    Ok(d) => view! {
                        <ul class="activity" data-testid="alerts">
                            {d.alerts.into_iter().map(|(id, h)| { let link_text = id.clone(); view! {
                                <li><A href=format!("/tenants/{id}") attr:class="mono">{link_text}</A>" "
                                    <crate::ui::components::HealthBadge health=Some(h) detailed=true/></li>
                            }}).collect_view()}
                            {d.recent_failures.into_iter().map(|r| { let link_text = r.tenant_id.clone(); view! {
                                <li><A href=format!("/tenants/{}", r.tenant_id) attr:class="mono">{link_text}</A>
                                    {format!(" run {} ({}) failed", r.id, r.operation)}</li>
                            }}).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
