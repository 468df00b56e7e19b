//! Alerts: the live list with filters, acknowledge / resolve / silence by
//! role, the silences in force, and the notification channels.

mod channels;
mod list;
mod rules;

pub use channels::ChannelsPage;
pub use list::{AlertActions, AlertList};
pub use rules::RulesPanel;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::alerts::{list_alerts, list_silences, EndSilence, SilenceAlerts};
use crate::dto::Topic;
use crate::dto::{AlertQuery, AlertState, Role, RuleId, Severity};
use crate::ui::components::{failure, format_time, ErrorPanel, Field, FormError, Pager};
use crate::ui::live::use_live;
use crate::ui::shell::{can, use_session};

fn href(q: &AlertQuery, page: u32) -> String {
    let mut parts = vec![format!("page={page}")];
    if let Some(s) = q.state {
        parts.push(format!("state={s}"));
    }
    if let Some(s) = q.severity {
        parts.push(format!("severity={s}"));
    }
    if let Some(r) = q.rule {
        parts.push(format!("rule={r}"));
    }
    if !q.tenant.is_empty() {
        parts.push(format!(
            "tenant={}",
            crate::ui::components::urlencode(&q.tenant)
        ));
    }
    format!("/alerts?{}", parts.join("&"))
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.get();
        AlertQuery {
            state: p.get("state").and_then(|s| AlertState::parse(&s)),
            severity: p.get("severity").and_then(|s| Severity::parse(&s)),
            tenant: p.get("tenant").unwrap_or_default(),
            rule: p.get("rule").and_then(|r| RuleId::parse(&r)),
            page: p.get("page").and_then(|n| n.parse().ok()).unwrap_or(1),
            per_page: 0,
        }
    });
    let session = use_session();
    let tick = use_live(|| vec![Topic::Alerts]);
    let actions = AlertActions::new();
    let silence = ServerAction::<SilenceAlerts>::new();
    let end = ServerAction::<EndSilence>::new();
    let changed = move || actions.version() + silence.version().get() + end.version().get();
    let alerts = Resource::new(
        move || (query.get(), tick.get(), changed()),
        |(q, _, _)| list_alerts(q),
    );
    let silences = Resource::new(move || (tick.get(), changed()), |_| list_silences());
    let silence_result = Signal::derive(move || silence.value().get());
    view! {
        <Title text="Alerts"/>
        <div class="page-head">
            <h1>"Alerts"</h1>
            <A href="/alerts/channels" attr:class="button subtle">"Notification channels"</A>
        </div>
        <Form method="GET" action="/alerts" attr:class="filters" attr:role="search">
            <label><span>"State"</span>
                <select name="state">
                    <option value="">"Open"</option>
                    {AlertState::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().state == Some(*s)>{s.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label><span>"Severity"</span>
                <select name="severity">
                    <option value="">"Any"</option>
                    {Severity::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().severity == Some(*s)>{s.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label><span>"Rule"</span>
                <select name="rule">
                    <option value="">"Any"</option>
                    {RuleId::ALL.iter().map(|r| view! {
                        <option value=r.as_str() selected=move || query.get().rule == Some(*r)>{r.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label><span>"Tenant"</span>
                <input name="tenant" prop:value=move || query.get().tenant placeholder="tenant ID"/>
            </label>
            <button type="submit" class="button">"Filter"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await;
                let operator = can(&me, Role::Operator);
                match alerts.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(page) => {
                        let q = query.get_untracked();
                        let pages = page.page_count();
                        view! {
                            <AlertList alerts=page.items operator actions/>
                            <Pager page=page.page pages total=page.total href=move |n| href(&q, n)/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || actions.error().map(|e| view! { <ErrorPanel err=e/> })}
        <section aria-labelledby="silences-h">
            <h2 id="silences-h">"Silences"</h2>
            <p class="muted">"A silence holds notifications back for a tenant and/or a rule until it ends; alerts are still recorded."</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let me = session.me.await;
                    let operator = can(&me, Role::Operator);
                    match silences.await {
                        Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="panel empty">"No silence in force."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="silences" data-testid="silences">
                                {list.into_iter().map(|s| view! {
                                    <li data-silence=s.id>
                                        {format!("{} · {} · until {} · {} (by {})",
                                            s.tenant_id.clone().unwrap_or_else(|| "every tenant".into()),
                                            s.rule.map(|r| r.to_string()).unwrap_or_else(|| "every rule".into()),
                                            format_time(s.ends_at), s.reason, s.created_by)}
                                        {operator.then(|| view! {
                                            <ActionForm action=end attr:class="inline">
                                                <input type="hidden" name="id" value=s.id/>
                                                <button type="submit" class="button subtle">"End"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let me = session.me.await;
                    can(&me, Role::Operator).then(|| view! {
                        <details class="panel">
                            <summary>"New silence"</summary>
                            <ActionForm action=silence attr:class="form-grid">
                                <Field field="tenant_id" label="Tenant (empty: every tenant)" id="silence-tenant" error=failure(silence_result)>
                                    <input id="silence-tenant" name="form[tenant_id]"/>
                                </Field>
                                <Field field="rule" label="Rule (empty: every rule)" id="silence-rule" error=failure(silence_result)>
                                    <select id="silence-rule" name="form[rule]">
                                        <option value="">"every rule"</option>
                                        {RuleId::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                                    </select>
                                </Field>
                                <Field field="minutes" label="For (minutes)" id="silence-minutes" error=failure(silence_result)>
                                    <input id="silence-minutes" name="form[minutes]" inputmode="numeric" value="60"/>
                                </Field>
                                <Field field="reason" label="Why" id="silence-reason" error=failure(silence_result)>
                                    <input id="silence-reason" name="form[reason]"/>
                                </Field>
                                <div class="actions"><button type="submit" class="button primary">"Silence"</button></div>
                            </ActionForm>
                            <FormError result=silence_result/>
                        </details>
                    })
                })}
            </Transition>
        </section>
    }
}
