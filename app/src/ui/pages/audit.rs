//! The audit trail: who did what, newest first; searchable, filtered by
//! actor, action, tenant and days, and exported as CSV or JSON.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::records::list_audit;
use crate::dto::AuditQuery;
use crate::ui::components::{format_time, urlencode, ErrorPanel, Pager};

/// The filters as URL parameters (empty ones left out).
fn params_of(q: &AuditQuery) -> String {
    [
        ("q", &q.q),
        ("actor", &q.actor),
        ("action", &q.action),
        ("tenant", &q.tenant),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", urlencode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let query = move || {
        let p = params.get();
        let get = |k: &str| p.get(k).unwrap_or_default();
        AuditQuery {
            q: get("q"),
            actor: get("actor"),
            action: get("action"),
            tenant: get("tenant"),
            from: get("from"),
            to: get("to"),
            page: get("page").parse().unwrap_or(1),
        }
    };
    let events = Resource::new(query, list_audit);
    let field = move |name: &'static str,
                      label: &'static str,
                      placeholder: &'static str,
                      kind: &'static str| {
        view! {
            <label><span>{label}</span>
                <input type=kind name=name placeholder=placeholder
                    prop:value=move || params.get().get(name).unwrap_or_default()/>
            </label>
        }
    };
    view! {
        <Title text="Audit"/>
        <h1>"Audit log"</h1>
        <Form method="GET" action="/audit" attr:class="filters" attr:role="search">
            <label class="grow"><span>"Search"</span>
                <input type="search" name="q" prop:value=move || query().q placeholder="any words"/>
            </label>
            {field("actor", "Actor", "alice", "text")}
            {field("action", "Action", "tenant. or tenant.provision", "text")}
            {field("tenant", "Tenant", "acme-k3x9qa", "text")}
            {field("from", "From (UTC)", "2026-12-01", "date")}
            {field("to", "To (UTC)", "2026-12-31", "date")}
            <button type="submit" class="button">"Filter"</button>
        </Form>
        <p class="exports">
            "Export what matches: "
            <a rel="external" download="" data-testid="export-csv"
                href=move || format!("/api/v1/audit/export?format=csv&{}", params_of(&query()))>"CSV"</a>
            " · "
            <a rel="external" download="" data-testid="export-json"
                href=move || format!("/api/v1/audit/export?format=json&{}", params_of(&query()))>"JSON"</a>
        </p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(p) if p.items.is_empty() => view! { <p class="panel empty">"No events."</p> }.into_any(),
                    Ok(p) => {
                        let pages = p.page_count();
                        let filters = params_of(&query());
                        view! {
                            <table class="data" data-testid="audit">
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
                            <Pager page=p.page pages total=p.total href=move |n| format!("/audit?{filters}&page={n}")/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
