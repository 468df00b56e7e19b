//! The rollouts, newest first, live; operators plan a new one (nothing is
//! stored) and start it from its plan.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::state_class;
use crate::api::rollouts::{list_rollouts, PlanRollout, StartRollout};
use crate::dto::{Role, RolloutForm, Topic, DRY_RUN_MAX};
use crate::ui::components::{failure, format_time, ErrorPanel, Field, FormError};
use crate::ui::live::use_live;
use crate::ui::shell::{can, use_session};

#[component]
pub fn RolloutListPage() -> impl IntoView {
    let tick = use_live(|| vec![Topic::Rollouts]);
    let list = Resource::new(move || tick.get(), |_| list_rollouts());
    let session = use_session();
    let plan = ServerAction::<PlanRollout>::new();
    let start = ServerAction::<StartRollout>::new();
    let planned = Signal::derive(move || plan.value().get());
    let started = Signal::derive(move || start.value().get());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(r)) = start.value().get() {
            navigate(&format!("/rollouts/{}", r.id), Default::default());
        }
    });
    // The form as typed, for planning and then starting the same rollout.
    let form = RwSignal::new(RolloutForm {
        waves: "1, 25%, 100%".into(),
        ..Default::default()
    });
    let field = move |set: fn(&mut RolloutForm, String)| {
        move |ev| form.update(|f| set(f, event_target_value(&ev)))
    };
    view! {
        <Title text="Rollouts"/>
        <h1>"Rollouts"</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                can(&session.me.await, Role::Operator).then(|| view! {
                    <section class="panel" aria-labelledby="new-rollout-h" data-testid="new-rollout">
                        <h2 id="new-rollout-h">"New rollout"</h2>
                        <div class="form-grid">
                            <Field field="application" label="Application (key)" error=failure(planned) also=failure(started)>
                                <input id="application" on:input=field(|f, v| f.application = v)/>
                            </Field>
                            <Field field="release" label="Release to move to" error=failure(planned) also=failure(started)>
                                <input id="release" inputmode="numeric" on:input=field(|f, v| f.release = v)/>
                            </Field>
                            <Field field="template_id" label="Plan to move to (id; empty: each keeps its plan)" error=failure(planned) also=failure(started)>
                                <input id="template_id" inputmode="numeric" on:input=field(|f, v| f.template_id = v)/>
                            </Field>
                            <Field field="tenants" label="Tenants (IDs; empty: every live one)" error=failure(planned) also=failure(started)>
                                <input id="tenants" placeholder="acme, globex" on:input=field(|f, v| {
                                    f.tenants = v.split([',', ' ']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect();
                                })/>
                            </Field>
                            <Field field="waves" label="Waves (counts or shares)" error=failure(planned) also=failure(started)>
                                <input id="waves" value="1, 25%, 100%" on:input=field(|f, v| f.waves = v)/>
                            </Field>
                            <Field field="canary" label="Canary tenant (optional)" error=failure(planned) also=failure(started)>
                                <input id="canary" on:input=field(|f, v| f.canary = v)/>
                            </Field>
                            <Field field="parallelism" label="Runs at once" error=failure(planned) also=failure(started)>
                                <input id="parallelism" inputmode="numeric" placeholder="1" on:input=field(|f, v| f.parallelism = v)/>
                            </Field>
                            <Field field="soak_secs" label="Soak per wave (seconds)" error=failure(planned) also=failure(started)>
                                <input id="soak_secs" inputmode="numeric" placeholder="0" on:input=field(|f, v| f.soak_secs = v)/>
                            </Field>
                        </div>
                        <label class="check">
                            <input type="checkbox" id="dry_run" on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                form.update(|f| f.dry_run = on.then(|| "on".to_string()));
                            }/>
                            {format!(" Dry-run each tenant against the cluster (the first {DRY_RUN_MAX})")}
                        </label>
                        <div class="button-row">
                            <button type="button" class="button" on:click=move |_| { plan.dispatch(PlanRollout { form: form.get_untracked() }); }>"Plan"</button>
                        </div>
                        <FormError result=planned/>
                        {move || plan.value().get().and_then(|r| r.ok()).map(|p| {
                            let total: usize = p.waves.iter().map(Vec::len).sum();
                            view! {
                                <div data-testid="rollout-plan">
                                    <p>{format!("{total} tenants in {} waves", p.waves.len())}</p>
                                    {p.dry_run.clone().map(|d| view! { <p class="muted" data-testid="dry-run-note">{d}</p> })}
                                    <table class="table waves">
                                        <thead><tr><th>"Wave"</th><th>"Tenant"</th><th>"Change"</th><th>"On the cluster"</th></tr></thead>
                                        <tbody>
                                            {p.waves.into_iter().enumerate().flat_map(|(i, wave)| wave.into_iter().map(move |t| view! {
                                                <tr data-wave=(i + 1).to_string() data-tenant=t.tenant_id.clone()>
                                                    <td>{i + 1}</td>
                                                    <td class="mono">{t.tenant_id.clone()}</td>
                                                    <td>{t.change.clone()}</td>
                                                    <td class="dry-run">{t.dry_run.clone().unwrap_or_default()}</td>
                                                </tr>
                                            })).collect_view()}
                                        </tbody>
                                    </table>
                                    {(!p.left_out.is_empty()).then(|| view! {
                                        <p class="muted">{format!("Left out: {}", p.left_out.join("; "))}</p>
                                    })}
                                    <button type="button" class="button primary" on:click=move |_| { start.dispatch(StartRollout { form: form.get_untracked() }); }>"Start this rollout"</button>
                                </div>
                            }
                        })}
                        <FormError result=started/>
                    </section>
                })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading">"Loading rollouts…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="panel empty">"No rollout yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="rollouts">
                            <thead><tr><th>"Rollout"</th><th>"Application"</th><th>"To"</th><th>"State"</th><th>"Wave"</th><th>"Started"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| view! {
                                    <tr data-rollout=r.id.to_string()>
                                        <td><A href=format!("/rollouts/{}", r.id)>{format!("#{}", r.id)}</A></td>
                                        <td class="mono">{r.application.clone()}</td>
                                        <td>{r.release.map(|n| format!("release {n}")).unwrap_or_else(|| "its release".into())}</td>
                                        <td><span class=state_class(r.state)>{r.state.as_str()}</span></td>
                                        <td>{format!("{} of {}", r.wave, r.waves)}</td>
                                        <td>{format!("{} by {}", format_time(r.created_at), r.created_by)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
