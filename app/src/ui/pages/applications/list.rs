//! Every application with its newest release and how many plans and
//! tenants it has.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::applications::list_applications;
use crate::ui::components::ErrorPanel;

#[component]
pub fn ApplicationListPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_applications());
    view! {
        <Title text="Applications"/>
        <div class="page-head"><h1>"Applications"</h1></div>
        <Suspense fallback=|| view! { <p class="loading">"Loading applications…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="panel empty">"No applications yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data">
                            <thead><tr>
                                <th scope="col">"Application"</th>
                                <th scope="col">"Newest release"</th>
                                <th scope="col">"Plans"</th>
                                <th scope="col">"Tenants"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|a| view! {
                                    <tr>
                                        <td><A href=format!("/applications/{}", a.key)>{a.name}</A>" "<span class="muted mono">{a.key}</span></td>
                                        <td>{if a.latest_release == 0 { "none yet".to_string() } else { format!("{}", a.latest_release) }}</td>
                                        <td>{a.plan_count}</td>
                                        <td>{a.tenant_count}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
