//! The tenant list: search, filter, sort and pages, all held in the URL so a
//! view can be linked and works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::api::operations::BulkAction;
use crate::api::templates::template_choices;
use crate::api::tenants::list_tenants;
use crate::dto::Topic;
use crate::dto::{Health, Role, TenantQuery, TenantSort, TenantState};
use crate::ui::components::{format_time, urlencode, ErrorPanel, HealthBadge, Pager, StateBadge};
use crate::ui::live::use_live;
use crate::ui::shell::{can, use_session};

fn query_from(params: &ParamsMap) -> TenantQuery {
    TenantQuery {
        q: params.get("q").unwrap_or_default(),
        template_id: params.get("template").and_then(|t| t.parse().ok()),
        state: params.get("state").and_then(|s| TenantState::parse(&s)),
        health: params.get("health").and_then(|h| Health::parse(&h)),
        sort: params
            .get("sort")
            .and_then(|s| TenantSort::parse(&s))
            .unwrap_or_default(),
        desc: params.get("dir").map(|d| d == "desc").unwrap_or(true),
        page: params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        per_page: 0,
    }
    .normalised()
}

fn href_for(q: &TenantQuery, page: u32) -> String {
    let mut parts = vec![];
    if !q.q.is_empty() {
        parts.push(format!("q={}", urlencode(&q.q)));
    }
    if let Some(t) = q.template_id {
        parts.push(format!("template={t}"));
    }
    if let Some(s) = q.state {
        parts.push(format!("state={}", s.as_str()));
    }
    if let Some(h) = q.health {
        parts.push(format!("health={}", h.as_str()));
    }
    parts.push(format!("sort={}", q.sort.as_str()));
    parts.push(format!("dir={}", if q.desc { "desc" } else { "asc" }));
    parts.push(format!("page={page}"));
    format!("/tenants?{}", parts.join("&"))
}

#[component]
pub fn TenantListPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| query_from(&params.get()));
    let bulk = ServerAction::<BulkAction>::new();
    let tick = use_live(|| vec![Topic::Tenants]);
    let tenants = Resource::new(
        move || (query.get(), tick.get(), bulk.version().get()),
        |(q, _, _)| list_tenants(q),
    );
    let templates = Resource::new(|| (), |_| template_choices());
    let session = use_session();

    view! {
        <Title text="Tenants"/>
        <div class="page-head">
            <h1>"Tenants"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    can(&session.me.await, Role::Operator)
                        .then(|| view! { <A href="/tenants/new" attr:class="button primary">"New tenant"</A> })
                })}
            </Suspense>
        </div>
        <Form method="GET" action="/tenants" attr:class="filters" attr:role="search">
            <label class="grow">
                <span>"Search"</span>
                <input type="search" name="q" placeholder="ID, company or owner e-mail"
                    prop:value=move || query.get().q aria-label="Search tenants"/>
            </label>
            <label>
                <span>"Template"</span>
                <select name="template">
                    <option value="">"All"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let selected = query.get_untracked().template_id;
                            templates.await.unwrap_or_default().into_iter().map(|t| view! {
                                <option value=t.id.to_string() selected=selected == Some(t.id)>{t.name}</option>
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <label>
                <span>"State"</span>
                <select name="state">
                    <option value="">"All"</option>
                    {TenantState::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().state == Some(s)>{s.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"Health"</span>
                <select name="health">
                    <option value="">"All"</option>
                    {Health::ALL.iter().map(|h| view! {
                        <option value=h.as_str() selected=move || query.get().health == Some(*h)>{h.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"Sort by"</span>
                <select name="sort">
                    {TenantSort::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().sort == s>{s.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span>"Order"</span>
                <select name="dir">
                    <option value="desc" selected=move || query.get().desc>"descending"</option>
                    <option value="asc" selected=move || !query.get().desc>"ascending"</option>
                </select>
            </label>
            <button type="submit" class="button">"Apply"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading tenants…"</p> }>
            {move || Suspend::new(async move {
                let operator = can(&session.me.await, Role::Operator);
                let plans = templates.await.unwrap_or_default();
                match tenants.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(page) if page.items.is_empty() => view! {
                        <div class="panel empty">
                            <p>"No tenant matches."</p>
                            <A href="/tenants">"Clear the filters"</A>
                        </div>
                    }.into_any(),
                    Ok(page) => {
                        let q = query.get_untracked();
                        let pages = page.page_count();
                        let table = view! {
                            <table class="data" data-testid="tenants">
                                <thead><tr>
                                    {operator.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                                    <th scope="col">"Tenant"</th>
                                    <th scope="col">"Company"</th>
                                    <th scope="col">"Owner"</th>
                                    <th scope="col">"Template"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col">"Health"</th>
                                    <th scope="col">"Last observed"</th>
                                    <th scope="col">"Last backup"</th>
                                    <th scope="col">"Created"</th>
                                </tr></thead>
                                <tbody>
                                    {page.items.into_iter().enumerate().map(|(i, t)| { let link_text = t.id.clone(); view! {
                                        <tr data-tenant=t.id.clone()>
                                            {operator.then(|| view! {
                                                <td><input type="checkbox" name=format!("form[ids][{i}]") value=t.id.clone()
                                                    aria-label=format!("Select {}", t.id)/></td>
                                            })}
                                            <td><A href=format!("/tenants/{}", t.id) attr:class="mono">{link_text}</A></td>
                                            <td>{t.company_name}
                                                {t.urls.into_iter().map(|u| view! {
                                                    <br/><a href=u.clone() rel="external noopener" target="_blank" class="url">{u.trim_start_matches("https://").to_string()}</a>
                                                }).collect_view()}
                                            </td>
                                            <td>{t.owner_email}</td>
                                            <td>{format!("{} v{}", t.template_name, t.template_version)}</td>
                                            <td><StateBadge state=t.state/></td>
                                            <td><HealthBadge health=t.health.clone()/></td>
                                            <td>{t.health.as_ref().and_then(|h| h.observed_at).or(t.observed_at).map(format_time).unwrap_or_else(|| "—".into())}</td>
                                            <td>{t.last_backup_at.map(format_time).unwrap_or_else(|| "—".into())}</td>
                                            <td><time>{format_time(t.created_at)}</time></td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        };
                        view! {
                            {if operator {
                                view! {
                                    <ActionForm action=bulk attr:class="bulk">
                                        {table}
                                        <div class="bulk-bar">
                                            <label>
                                                <span>"With the selected tenants"</span>
                                                <select name="form[action]" id="bulk-action">
                                                    <option value="suspend">"Suspend"</option>
                                                    <option value="resume">"Resume"</option>
                                                    <option value="retry">"Retry the failed run"</option>
                                                    <option value="deprovision">"Deprovision"</option>
                                                    <option value="change_plan">"Change plan (a rollout: one first, then the rest)"</option>
                                                </select>
                                            </label>
                                            <label>
                                                <span>"Plan (change plan)"</span>
                                                <select name="form[template_id]" id="bulk-plan">
                                                    <option value="">"—"</option>
                                                    {plans.into_iter().map(|t| view! {
                                                        <option value=t.id.to_string()>{t.name}</option>
                                                    }).collect_view()}
                                                </select>
                                            </label>
                                            <label>
                                                <span>"Confirm (deprovision, admins only)"</span>
                                                <input name="form[confirm]" placeholder="number of tenants selected" autocomplete="off" inputmode="numeric"/>
                                            </label>
                                            <label>
                                                <span>"Grace hours (deprovision; at least 1)"</span>
                                                <input name="form[grace_hours]" placeholder="1" autocomplete="off" inputmode="numeric"/>
                                            </label>
                                            <button type="submit" class="button">"Run"</button>
                                        </div>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                table.into_any()
                            }}
                            <Pager page=page.page pages total=page.total href=move |p| href_for(&q, p)/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || bulk.value().get().map(|r| match r {
            Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
            Ok(results) => view! {
                <section class="panel" aria-label="Bulk results">
                    <h2>"Bulk action"</h2>
                    <ul class="bulk-results" data-testid="bulk-results">
                        {results.into_iter().map(|r| { let link_text = r.tenant_id.clone(); view! {
                            <li class=if r.ok { "ok" } else { "bad" } data-tenant=r.tenant_id.clone()>
                                <A href=format!("/tenants/{}", r.tenant_id) attr:class="mono">{link_text}</A>
                                ": "{r.message.clone()}
                                {r.rollout_id.map(|n| view! { " " <A href=format!("/rollouts/{n}")>"follow it"</A> })}
                            </li>
                        }}).collect_view()}
                    </ul>
                </section>
            }.into_any(),
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_through_the_url() {
        let q = TenantQuery {
            q: "a&b c".into(),
            state: Some(TenantState::Pending),
            page: 2,
            ..Default::default()
        }
        .normalised();
        assert_eq!(
            href_for(&q, 3),
            "/tenants?q=a%26b%20c&state=pending&sort=created&dir=asc&page=3"
        );
    }
}
