//! One rollout, live: its waves with each tenant's state and run, why it
//! paused, and (operators) pause, resume, abort, skip a tenant or roll one
//! back.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::{state_class, tenant_class};
use crate::api::rollouts::{
    get_rollout, AbortRollout, PauseRollout, ResumeRollout, RollbackRolloutTenant,
    SkipRolloutTenant,
};
use crate::dto::{Role, RolloutState, RolloutTenantState, Topic};
use crate::ui::components::{format_time, ErrorPanel};
use crate::ui::live::use_live;
use crate::ui::shell::{can, use_session};

#[component]
pub fn RolloutPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .get()
            .get("id")
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or_default()
    };
    let pause = ServerAction::<PauseRollout>::new();
    let resume = ServerAction::<ResumeRollout>::new();
    let abort = ServerAction::<AbortRollout>::new();
    let skip = ServerAction::<SkipRolloutTenant>::new();
    let rollback = ServerAction::<RollbackRolloutTenant>::new();
    let tick = use_live(move || vec![Topic::Rollout(id()), Topic::Runs]);
    let changed = move || {
        pause.version().get()
            + resume.version().get()
            + abort.version().get()
            + skip.version().get()
            + rollback.version().get()
    };
    let rollout = Resource::new(
        move || (id(), tick.get(), changed()),
        |(id, _, _)| get_rollout(id),
    );
    let session = use_session();
    let errors = move || {
        [
            pause.value().get().and_then(|r| r.err()),
            resume.value().get().and_then(|r| r.err()),
            abort.value().get().and_then(|r| r.err()),
            skip.value().get().and_then(|r| r.err()),
            rollback.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <ErrorPanel err=e/> })
    };
    view! {
        <Title text="Rollout"/>
        {errors}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await;
                let (operator, admin) = (can(&me, Role::Operator), can(&me, Role::Admin));
                match rollout.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(r) => {
                        let rid = r.id;
                        let steer = (operator && matches!(r.state, RolloutState::Running | RolloutState::Paused)).then(|| view! {
                            <div class="button-row" data-testid="rollout-actions">
                                {(r.state == RolloutState::Running).then(|| view! {
                                    <ActionForm action=pause attr:class="inline">
                                        <input type="hidden" name="id" value=rid.to_string()/>
                                        <button type="submit" class="button">"Pause"</button>
                                    </ActionForm>
                                })}
                                {(r.state == RolloutState::Paused).then(|| view! {
                                    <ActionForm action=resume attr:class="inline">
                                        <input type="hidden" name="id" value=rid.to_string()/>
                                        <button type="submit" class="button primary">"Resume"</button>
                                    </ActionForm>
                                })}
                                <ActionForm action=abort attr:class="inline">
                                    <input type="hidden" name="id" value=rid.to_string()/>
                                    <button type="submit" class="button danger">"Abort"</button>
                                </ActionForm>
                            </div>
                        });
                        let waves: Vec<i64> = (1..=r.waves).collect();
                        let open = matches!(r.state, RolloutState::Running | RolloutState::Paused);
                        view! {
                            <div class="page-head">
                                <h1 data-testid="rollout-title">{format!("Rollout #{} of {}", r.id, r.application)}</h1>
                                <span class=state_class(r.state) data-testid="rollout-state">{r.state.as_str()}</span>
                            </div>
                            <dl class="facts">
                                <dt>"To"</dt><dd>{r.release.map(|n| format!("release {n}")).unwrap_or_else(|| "each tenant's release".into())}
                                    {r.template_id.map(|p| format!(", plan {p}"))}</dd>
                                <dt>"Wave"</dt><dd data-testid="rollout-wave">{format!("{} of {}", r.wave, r.waves)}</dd>
                                <dt>"Runs at once"</dt><dd>{r.parallelism}</dd>
                                <dt>"Soak"</dt><dd>{format!("{} s", r.soak_secs)}{r.soak_started_at.map(|s| format!(" (soaking since {})", format_time(s)))}</dd>
                                <dt>"Started"</dt><dd>{format!("{} by {}", format_time(r.created_at), r.created_by)}</dd>
                            </dl>
                            {r.reason.clone().map(|why| view! { <p class="panel warning" data-testid="rollout-reason">{why}</p> })}
                            {steer}
                            {waves.into_iter().map(|w| {
                                let tenants: Vec<_> = r.tenants.iter().filter(|t| t.wave == w).cloned().collect();
                                view! {
                                    <section class="panel" data-wave=w.to_string()>
                                        <h2>{format!("Wave {w}")}{(w == r.wave && open).then_some(" (under way)")}</h2>
                                        <table class="table">
                                            <thead><tr><th>"Tenant"</th><th>"State"</th><th>"Change"</th><th>"Run"</th><th>"Detail"</th><th></th></tr></thead>
                                            <tbody>
                                                {tenants.into_iter().map(|t| {
                                                    let can_skip = operator && open && matches!(t.state, RolloutTenantState::Pending | RolloutTenantState::Failed);
                                                    let can_roll_back = operator && matches!(t.state, RolloutTenantState::Done | RolloutTenantState::Failed);
                                                    let tid = t.tenant_id.clone();
                                                    let back_id = t.tenant_id.clone();
                                                    // The data from before the migrations, when the move dumped it (admins).
                                                    let restorable = t.backup_before_migration.filter(|_| can_roll_back && admin).map(|b| (b, t.tenant_id.clone()));
                                                    let runs = format!("/runs?tenant={}", t.tenant_id);
                                                    let (href, name) = (format!("/tenants/{}", t.tenant_id), t.tenant_id.clone());
                                                    view! {
                                                        <tr data-tenant=t.tenant_id.clone() data-state=t.state.as_str()>
                                                            <td><A href=href>{name}</A></td>
                                                            <td><span class=tenant_class(t.state)>{t.state.as_str()}</span></td>
                                                            <td>{t.change.clone()}</td>
                                                            <td>{t.run_id.map(|n| view! { <A href=runs>{format!("#{n}")}</A> })}</td>
                                                            <td>{t.detail.clone().unwrap_or_default()}</td>
                                                            <td>{can_skip.then(|| view! {
                                                                <ActionForm action=skip attr:class="inline">
                                                                    <input type="hidden" name="id" value=rid.to_string()/>
                                                                    <input type="hidden" name="tenant" value=tid/>
                                                                    <button type="submit" class="button subtle">"Skip"</button>
                                                                </ActionForm>
                                                            })}
                                                            {can_roll_back.then(|| view! {
                                                                <ActionForm action=rollback attr:class="inline">
                                                                    <input type="hidden" name="id" value=rid.to_string()/>
                                                                    <input type="hidden" name="tenant" value=back_id/>
                                                                    <button type="submit" class="button subtle">"Roll back"</button>
                                                                </ActionForm>
                                                            })}
                                                            {restorable.map(|(b, tenant)| view! {
                                                                <ActionForm action=rollback attr:class="inline">
                                                                    <input type="hidden" name="id" value=rid.to_string()/>
                                                                    <input type="hidden" name="tenant" value=tenant/>
                                                                    <input type="hidden" name="form[restore]" value="true"/>
                                                                    <button type="submit" class="button danger" data-testid="rollback-restore"
                                                                        title=format!("Its data is replaced by backup {b}, taken before the new release's migrations; what it replaces is dumped first.")>
                                                                        "Roll back and restore its data"
                                                                    </button>
                                                                </ActionForm>
                                                            })}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </section>
                                }
                            }).collect_view()}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
