//! One application: what it is, and its releases, newest first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::applications::{get_application, list_releases};
use crate::dto::Role;
use crate::ui::components::{format_time, ErrorPanel};
use crate::ui::shell::{can, use_session};

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let key = super::param("app");
    let app = Resource::new(key, get_application);
    let releases = Resource::new(key, list_releases);
    let session = use_session();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (a, list) = match (app.await, releases.await) {
                    (Err(e), _) | (_, Err(e)) => return view! { <ErrorPanel err=e/> }.into_any(),
                    (Ok(a), Ok(list)) => (a, list),
                };
                let operator = can(&session.me.await, Role::Operator);
                let new_href = format!("/applications/{}/releases/new", a.key);
                view! {
                    <Title text=a.name.clone()/>
                    <div class="page-head">
                        <h1>{a.name.clone()}" "<span class="muted mono">{a.key.clone()}</span></h1>
                        {operator.then(|| view! { <A href=new_href attr:class="button primary">"New release"</A> })}
                    </div>
                    <p>{a.description.clone()}</p>
                    <p class="muted">{format!("{} plan(s), {} tenant(s)", a.plan_count, a.tenant_count)}</p>
                    <h2>"Releases"</h2>
                    <table class="data" data-testid="releases">
                        <thead><tr>
                            <th scope="col">"Release"</th>
                            <th scope="col">"Components"</th>
                            <th scope="col">"Tenants"</th>
                            <th scope="col">"Notes"</th>
                            <th scope="col">"Saved"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let components = r.spec.components.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", ");
                                view! {
                                    <tr>
                                        <td><A href=format!("/applications/{}/releases/{}", a.key, r.number)>{format!("Release {}", r.number)}</A></td>
                                        <td class="mono">{components}</td>
                                        <td>{r.tenant_count}</td>
                                        <td>{r.notes}</td>
                                        <td>{format_time(r.created_at)}" by "{r.created_by}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}
