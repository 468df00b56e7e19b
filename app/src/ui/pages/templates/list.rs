//! All templates with their current version's limits.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::templates::list_templates;
use crate::dto::Role;
use crate::ui::components::ErrorPanel;
use crate::ui::shell::{can, use_session};

#[component]
pub fn TemplateListPage() -> impl IntoView {
    let templates = Resource::new(|| (), |_| list_templates());
    let session = use_session();
    view! {
        <Title text="Templates"/>
        <div class="page-head">
            <h1>"Templates"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    can(&session.me.await, Role::Operator)
                        .then(|| view! { <A href="/templates/new" attr:class="button primary">"New template"</A> })
                })}
            </Suspense>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading templates…"</p> }>
            {move || Suspend::new(async move {
                match templates.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="panel empty">"No templates yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data">
                            <thead><tr>
                                <th scope="col">"Template"</th>
                                <th scope="col">"Version"</th>
                                <th scope="col">"PostgreSQL"</th>
                                <th scope="col">"API / web"</th>
                                <th scope="col">"CPU / memory limit"</th>
                                <th scope="col">"Users"</th>
                                <th scope="col">"Backup"</th>
                                <th scope="col">"Tenants"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let s = t.spec;
                                    view! {
                                        <tr>
                                            <td><A href=format!("/templates/{}", t.id)>{t.name}</A>" "<span class="muted mono">{t.key}</span></td>
                                            <td>{format!("v{}", t.version)}</td>
                                            <td>{format!("{}× {} Gi", s.postgres_instances, s.postgres_storage_gi)}</td>
                                            <td>{format!("{} / {}", s.api_replicas, s.web_replicas)}</td>
                                            <td>{format!("{}m / {} Mi", s.cpu_limit_m, s.memory_limit_mi)}</td>
                                            <td>{s.user_limit.map(|u| u.to_string()).unwrap_or_else(|| "unlimited".into())}</td>
                                            <td>{if s.backup_enabled { "yes" } else { "no" }}</td>
                                            <td>{t.tenant_count}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
