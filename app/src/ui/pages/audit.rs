//! The audit log: who did what, newest first, searchable.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::audit::list_audit;
use crate::ui::components::{format_time, ErrorPanel, Pager};

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let q = move || params.get().get("q").unwrap_or_default();
    let page = move || {
        params
            .get()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let events = Resource::new(move || (q(), page()), |(q, p)| list_audit(q, p));
    view! {
        <Title text="Audit"/>
        <h1>"Audit log"</h1>
        <Form method="GET" action="/audit" attr:class="filters" attr:role="search">
            <label class="grow"><span>"Search"</span>
                <input type="search" name="q" prop:value=q placeholder="actor, action or object"/>
            </label>
            <button type="submit" class="button">"Search"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(p) if p.items.is_empty() => view! { <p class="panel empty">"No events."</p> }.into_any(),
                    Ok(p) => {
                        let pages = p.page_count();
                        let query = q();
                        view! {
                            <table class="data">
                                <thead><tr>
                                    <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                                    <th scope="col">"Object"</th><th scope="col">"Detail"</th>
                                </tr></thead>
                                <tbody>
                                    {p.items.into_iter().map(|e| view! {
                                        <tr>
                                            <td><time>{format_time(e.at)}</time></td>
                                            <td>{e.actor}</td>
                                            <td>{e.action}</td>
                                            <td class="mono">{format!("{} {}", e.target_kind, e.target_id)}</td>
                                            <td class="detail">{e.detail}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager page=p.page pages total=p.total href=move |n| format!("/audit?q={}&page={n}", query)/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
