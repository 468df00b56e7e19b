//! The dashboard, live: tenants by state and health, runs in progress with
//! their current step, recent failures with their root cause, open alerts,
//! and recent activity.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::records::dashboard;
use crate::dto::Topic;
use crate::dto::{RunDto, StepState};
use crate::ui::components::{format_time, ErrorPanel, HealthBadge, StateBadge};
use crate::ui::live::use_live;

fn current_step(r: &RunDto) -> String {
    r.steps
        .iter()
        .find(|s| s.state == StepState::Running)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "waiting to start".into())
}

fn root_cause(r: &RunDto) -> String {
    r.steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .map(|s| format!("{}: {}", s.name, s.last_error.clone().unwrap_or_default()))
        .unwrap_or_default()
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let tick = use_live(|| vec![Topic::Tenants, Topic::Runs, Topic::Alerts]);
    let data = Resource::new(move || tick.get(), |_| dashboard());
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
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
                        <section class="tiles" aria-label="Tenants by health">
                            {d.tenants_by_health.into_iter().map(|(h, n)| view! {
                                <A href=format!("/tenants?health={}", h.as_str()) attr:class="tile">
                                    <span class="tile-value">{n}</span>
                                    <span class=format!("badge health-{}", h.as_str())>{h.as_str()}</span>
                                </A>
                            }).collect_view()}
                        </section>
                        <div class="columns">
                            <section aria-labelledby="alerts-h">
                                <h2 id="alerts-h">"Firing alerts"</h2>
                                <p class="tiles" data-testid="firing-alerts">
                                    {if d.firing_alerts.is_empty() {
                                        view! { <span class="muted">"None firing."</span> }.into_any()
                                    } else {
                                        d.firing_alerts.into_iter().map(|(s, n)| view! {
                                            <A href=format!("/alerts?severity={s}") attr:class="tile">
                                                <span class="tile-value">{n}</span>
                                                <span class=format!("badge sev-{s}")>{s.as_str()}</span>
                                            </A>
                                        }).collect_view().into_any()
                                    }}
                                </p>
                                <h3>"Tenants that need attention"</h3>
                                {if d.alerts.is_empty() {
                                    view! { <p class="panel empty">"No tenant needs attention."</p> }.into_any()
                                } else {
                                    view! { <ul class="activity" data-testid="alerts">
                                        {d.alerts.into_iter().map(|(id, h)| { let link_text = id.clone(); view! {
                                            <li><A href=format!("/tenants/{id}") attr:class="mono">{link_text}</A>" "<HealthBadge health=Some(h) detailed=true/></li>
                                        }}).collect_view()}
                                    </ul> }.into_any()
                                }}
                            </section>
                            <section aria-labelledby="inprogress-h">
                                <h2 id="inprogress-h">"Runs in progress"</h2>
                                {if d.runs_in_progress.is_empty() {
                                    view! { <p class="panel empty">"Nothing is running."</p> }.into_any()
                                } else {
                                    view! { <ul class="activity" data-testid="runs-in-progress">
                                        {d.runs_in_progress.into_iter().map(|r| { let step = current_step(&r); let link_text = r.tenant_id.clone(); view! {
                                            <li><A href=format!("/tenants/{}", r.tenant_id) attr:class="mono">{link_text}</A>
                                                {format!(" {} · run {} · {}", r.operation, r.id, step)}</li>
                                        }}).collect_view()}
                                    </ul> }.into_any()
                                }}
                            </section>
                        </div>
                        <section aria-labelledby="failures-h">
                            <h2 id="failures-h">"Recent failures"</h2>
                            {if d.recent_failures.is_empty() {
                                view! { <p class="panel empty">"No failed run."</p> }.into_any()
                            } else {
                                view! { <ul class="activity">
                                    {d.recent_failures.into_iter().map(|r| { let cause = root_cause(&r); let link_text = r.tenant_id.clone(); view! {
                                        <li><time>{format_time(r.finished_at.unwrap_or(r.created_at))}</time>" "
                                            <A href=format!("/tenants/{}", r.tenant_id) attr:class="mono">{link_text}</A>
                                            {format!(" {} failed at {}", r.operation, cause)}</li>
                                    }}).collect_view()}
                                </ul> }.into_any()
                            }}
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
        </Transition>
    }
}
