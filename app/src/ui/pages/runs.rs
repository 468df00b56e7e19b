//! All runs, filtered by state, operation or tenant, newest first, live.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::runs::list_runs;
use crate::dto::Topic;
use crate::dto::{Operation, RunQuery, RunState, StepState};
use crate::ui::components::{format_duration, format_time, ErrorPanel, Pager};
use crate::ui::live::use_live;

fn href(q: &RunQuery, page: u32) -> String {
    let mut parts = vec![format!("page={page}")];
    if let Some(s) = q.state {
        parts.push(format!("state={s}"));
    }
    if let Some(o) = q.operation {
        parts.push(format!("operation={o}"));
    }
    if !q.tenant.is_empty() {
        parts.push(format!("tenant={}", q.tenant));
    }
    format!("/runs?{}", parts.join("&"))
}

#[component]
pub fn RunListPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.get();
        RunQuery {
            state: p.get("state").and_then(|s| RunState::parse(&s)),
            operation: p.get("operation").and_then(|o| Operation::parse(&o)),
            tenant: p.get("tenant").unwrap_or_default(),
            page: p.get("page").and_then(|n| n.parse().ok()).unwrap_or(1),
            per_page: 0,
        }
    });
    let tick = use_live(|| vec![Topic::Runs]);
    let runs = Resource::new(move || (query.get(), tick.get()), |(q, _)| list_runs(q));
    view! {
        <Title text="Runs"/>
        <h1>"Runs"</h1>
        <Form method="GET" action="/runs" attr:class="filters" attr:role="search">
            <label>
                <span>"State"</span>
                <select name="state">
                    <option value="">"All"</option>
                    {RunState::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().state == Some(*s)>{s.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"Operation"</span>
                <select name="operation">
                    <option value="">"All"</option>
                    {Operation::ALL.iter().map(|o| view! {
                        <option value=o.as_str() selected=move || query.get().operation == Some(*o)>{o.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="grow">
                <span>"Tenant"</span>
                <input name="tenant" prop:value=move || query.get().tenant placeholder="tenant ID"/>
            </label>
            <button type="submit" class="button">"Apply"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <div class="panel empty"><p>"No run matches."</p><A href="/runs">"Clear the filters"</A></div>
                    }.into_any(),
                    Ok(page) => {
                        let q = query.get_untracked();
                        let pages = page.page_count();
                        view! {
                            <table class="data" data-testid="runs">
                                <thead><tr>
                                    <th scope="col">"Run"</th><th scope="col">"Tenant"</th><th scope="col">"Operation"</th>
                                    <th scope="col">"State"</th><th scope="col">"Step"</th><th scope="col">"By"</th>
                                    <th scope="col">"Created"</th><th scope="col">"Took"</th>
                                </tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|r| {
                                        let step = r.steps.iter().find(|s| matches!(s.state, StepState::Running | StepState::Failed))
                                            .or_else(|| r.steps.iter().rev().find(|s| s.state == StepState::Completed))
                                            .map(|s| format!("{} ({})", s.name, s.state)).unwrap_or_default();
                                        let took = r.started_at.zip(r.finished_at).map(|(a, b)| format_duration(b - a)).unwrap_or_default();
                                        view! {
                                            <tr data-run=r.id>
                                                <td><A href=format!("/tenants/{}#runs-h", r.tenant_id)>{format!("#{}", r.id)}</A></td>
                                                <td class="mono"><A href=format!("/tenants/{}", r.tenant_id)>{r.tenant_id.clone()}</A></td>
                                                <td>{r.operation.as_str()}</td>
                                                <td><span class=format!("badge run-state-{}", r.state.as_str())>{r.state.as_str()}</span></td>
                                                <td>{step}</td>
                                                <td>{r.requested_by.clone()}</td>
                                                <td>{format_time(r.created_at)}</td>
                                                <td>{took}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager page=page.page pages total=page.total href=move |p| href(&q, p)/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
