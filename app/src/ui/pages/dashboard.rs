//! The dashboard: tenants by state, templates, recent activity.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::dashboard::dashboard;
use crate::ui::components::{format_time, ErrorPanel, StateBadge};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| dashboard());
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(d) => view! {
                        <section class="tiles" aria-label="Tenants by state">
                            <A href="/tenants" attr:class="tile">
                                <span class="tile-value">{d.tenant_total}</span>
                                <span class="tile-label">"tenants"</span>
                            </A>
                            {d.tenants_by_state.into_iter().map(|(state, n)| view! {
                                <A href=format!("/tenants?state={}", state.as_str()) attr:class="tile">
                                    <span class="tile-value">{n}</span>
                                    <StateBadge state/>
                                </A>
                            }).collect_view()}
                            <A href="/templates" attr:class="tile">
                                <span class="tile-value">{d.template_count}</span>
                                <span class="tile-label">"templates"</span>
                            </A>
                        </section>
                        <h2>"Recent activity"</h2>
                        {if d.recent_audit.is_empty() {
                            view! { <p class="panel empty">"Nothing has happened yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="activity">
                                    {d.recent_audit.into_iter().map(|e| view! {
                                        <li>
                                            <time>{format_time(e.at)}</time>" "
                                            <strong>{e.actor}</strong>" "{e.action}" "
                                            <span class="mono">{format!("{} {}", e.target_kind, e.target_id)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
