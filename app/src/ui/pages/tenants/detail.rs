//! One tenant, live: overview and health, operations, the timeline of its
//! runs, its pods and Kubernetes events; and the record's own edit/delete.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::actions::{OpActions, TenantActions};
use super::backups::TenantBackups;
use super::cluster::ClusterPanels;
use super::credentials::{ApiKeys, Credentials, RevealedCredentials, RotatedKey};
use super::forms::{KeptOpen, TenantForms};
use super::timeline::{RunActionErrors, RunTimeline};
use crate::api::credentials::{RevealCredentials, RotateApiKey};
use crate::api::operations::tenant_backups;
use crate::api::runs::{list_runs, CancelRun, RecoverRun, RetryStep};
use crate::api::tenants::tenant_live;
use crate::api::tenants::{get_tenant, DeleteTenant, OverrideDomainCheck, UpdateTenant};
use crate::dto::Topic;
use crate::dto::{Role, RunQuery, TenantState};
use crate::ui::components::{failure, format_time, ErrorPanel, Field, HealthBadge, StateBadge};
use crate::ui::live::use_live;
use crate::ui::pages::alerts::{AlertActions, AlertList, RulesPanel};
use crate::ui::shell::{can, use_session};

/// Runs shown on the tenant page (the runs page has them all).
const RUNS_SHOWN: u32 = 5;

#[component]
pub fn TenantDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateTenant>::new();
    let delete = ServerAction::<DeleteTenant>::new();
    let ops = OpActions::new();
    let reveal = ServerAction::<RevealCredentials>::new();
    let rotate = ServerAction::<RotateApiKey>::new();
    let let_through = ServerAction::<OverrideDomainCheck>::new();
    // Which owner message's preview is open: the page's, so the panel,
    // made again on every change, keeps it open.
    let previewed = RwSignal::new(None::<String>);
    // What is typed into the page's forms: the page's too.
    let forms = TenantForms::new();
    let retry = ServerAction::<RetryStep>::new();
    let recover = ServerAction::<RecoverRun>::new();
    let cancel = ServerAction::<CancelRun>::new();
    let alert_actions = AlertActions::new();
    let tick = use_live(move || vec![Topic::Tenant(id())]);
    let changed = move || {
        update.version().get()
            + let_through.version().get()
            + rotate.version().get()
            + reveal.version().get()
            + ops.version()
            + retry.version().get()
            + recover.version().get()
            + cancel.version().get()
            + alert_actions.version()
    };
    let tenant = Resource::new(
        move || (id(), tick.get(), changed()),
        |(id, _, _)| get_tenant(id),
    );
    let live = Resource::new(
        move || (id(), tick.get(), changed()),
        |(id, _, _)| tenant_live(id),
    );
    let backups = Resource::new(
        move || (id(), tick.get(), changed()),
        |(id, _, _)| tenant_backups(id),
    );
    let runs = Resource::new(
        move || (id(), tick.get(), changed()),
        |(id, _, _)| {
            list_runs(RunQuery {
                tenant: id,
                per_page: RUNS_SHOWN,
                ..Default::default()
            })
        },
    );
    let session = use_session();
    let result = Signal::derive(move || update.value().get());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/tenants", Default::default());
        }
    });
    // A form done with is closed and emptied.
    Effect::new(move |_| {
        if let Some(Ok(_)) = ops.change.value().get() {
            forms.change.reset();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            forms.edit.open.set(false);
            forms.edit.values.set(None);
        }
    });

    view! {
        <RevealedCredentials reveal/>
        <RotatedKey rotate/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await;
                let role = me.as_ref().ok().and_then(|m| m.as_ref()).map(|m| m.role);
                let live = live.await.ok();
                let runs = runs.await.map(|p| p.items).unwrap_or_default();
                let backups = backups.await;
                match tenant.await {
                    Err(e) => view! { <Title text="Tenant"/><ErrorPanel err=e/> }.into_any(),
                    Ok(t) => {
                        let operator = can(&me, Role::Operator);
                        let deletable = operator && t.state == TenantState::Pending;
                        let id_for_edit = t.id.clone();
                        let id_for_delete = t.id.clone();
                        let edit_values = [t.company_name.clone(), t.owner_name.clone(), t.owner_email.clone(), t.custom_domain.clone().unwrap_or_default()];
                        // Edit the record: its values as typed (the tenant's until then).
                        let edit = forms.edit;
                        let typed = move |i: usize, values: [String; 4]| {
                            (
                                { let values = values.clone(); move || edit.values.get().unwrap_or_else(|| values.clone())[i].clone() },
                                move |ev: leptos::ev::Event| {
                                    let v = event_target_value(&ev);
                                    edit.values.update(|e| e.get_or_insert_with(|| values.clone())[i] = v);
                                },
                            )
                        };
                        let (company, set_company) = typed(0, edit_values.clone());
                        let (owner, set_owner) = typed(1, edit_values.clone());
                        let (email, set_email) = typed(2, edit_values.clone());
                        let (domain, set_domain) = typed(3, edit_values);
                        view! {
                            <Title text=format!("Tenant {}", t.id)/>
                            <div class="page-head">
                                <h1 data-testid="tenant-title">{t.company_name.clone()}</h1>
                                <StateBadge state=t.state/>
                                <HealthBadge health=live.as_ref().and_then(|l| l.health.clone()) detailed=true/>
                            </div>
                            <dl class="facts">
                                <dt>"Tenant ID"</dt><dd class="mono">{t.id.clone()}</dd>
                                <dt>"Namespace"</dt><dd class="mono">{t.namespace.clone()}</dd>
                                <dt>"Owner"</dt><dd>{format!("{} <{}>", t.owner_name, t.owner_email)}</dd>
                                <dt>"Template"</dt><dd>
                                    <A href=format!("/templates/{}", t.template_id)>{format!("{} v{}", t.template_name, t.template_version)}</A>
                                    {t.custom_plan.then(|| view! { <span class="muted" data-testid="custom-plan">" · made without a plan (its application's custom sizing)"</span> })}
                                </dd>
                                <dt>"Custom domain"</dt><dd>{t.custom_domain.clone().unwrap_or_else(|| "—".into())}
                                    {match t.held_domain() {
                                        Some(_) => { let held_id = t.id.clone(); view! {
                                            <span class="warning" data-testid="domain-held">{format!(" held until DNS points here: {}", t.domain_check.clone().unwrap_or_else(|| "not checked yet".into()))}</span>
                                            {can(&me, Role::Admin).then(|| view! {
                                                " "<ActionForm action=let_through attr:class="inline">
                                                    <input type="hidden" name="id" value=held_id.clone()/>
                                                    <button type="submit" class="button subtle">"Serve without the DNS check"</button>
                                                </ActionForm>
                                            })}
                                        }.into_any() }
                                        None => view! {
                                            {(t.first_live_at.is_some() && t.custom_domain != t.served_domain).then(|| view! {
                                                <span class="muted" data-testid="domain-pending">" (served after the next update)"</span>
                                            })}
                                            {t.custom_domain.as_ref().and(t.domain_check.clone()).map(|c| view! { <span class="muted small">{format!(" · {c}")}</span> })}
                                        }.into_any(),
                                    }}
                                    {move || let_through.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}</dd>
                                <dt>"Served at"</dt><dd data-testid="tenant-urls">
                                    {if t.urls.is_empty() { view! { "not served now" }.into_any() } else {
                                        t.urls.clone().into_iter().map(|u| view! { <a href=u.clone() class="mono" rel="noopener">{u.clone()}</a>" " }).collect_view().into_any()
                                    }}</dd>
                                <dt>"Created"</dt><dd>{format!("{} by {}", format_time(t.created_at), t.created_by)}</dd>
                                <dt>"Updated"</dt><dd>{format_time(t.updated_at)}</dd>
                                <dt>"Replicas"</dt><dd>{format!("api {} · web {}",
                                    t.api_replicas.map(|n| n.to_string()).unwrap_or_else(|| "per tier".into()),
                                    t.web_replicas.map(|n| n.to_string()).unwrap_or_else(|| "per tier".into()))}</dd>
                                <dt>"State detail"</dt><dd>{t.state_detail.clone().unwrap_or_else(|| "—".into())}
                                    {t.observed_at.map(|o| format!(" (observed {})", format_time(o)))}</dd>
                            </dl>
                            <super::release::TenantRelease id=t.id.clone() values=t.custom_fields.clone()/>
                            <Credentials t=t.clone() role reveal/>
                            <super::secrets::GeneratedSecrets t=t.clone() role ops/>
                            <ApiKeys t=t.clone() role rotate/>
                            <super::owner::OwnerMessages id=t.id.clone() previewed/>
                            <TenantActions t=t.clone() role ops forms/>
                            <TenantBackups t=t.clone() role ops list=backups/>
                            <section aria-labelledby="runs-h">
                                <h2 id="runs-h">"Runs" " "<A href=format!("/runs?tenant={}", t.id) attr:class="muted small">"all runs"</A></h2>
                                <RunActionErrors retry recover cancel/>
                                {if runs.is_empty() {
                                    view! { <p class="panel empty">"No run yet."</p> }.into_any()
                                } else {
                                    let latest = runs.first().map(|r| r.id);
                                    runs.into_iter().map(|r| {
                                        let is_latest = Some(r.id) == latest;
                                        view! { <RunTimeline run=r operator retry recover cancel latest=is_latest/> }
                                    }).collect_view().into_any()
                                }}
                            </section>
                            {live.clone().map(|l| view! {
                                <section aria-labelledby="alerts-h">
                                    <h2 id="alerts-h">"Alerts" " "<A href=format!("/alerts?tenant={}", t.id) attr:class="muted small">"all"</A></h2>
                                    <AlertList alerts=l.alerts.clone() operator actions=alert_actions/>
                                </section>
                                <ClusterPanels live=l/>
                            })}
                            <RulesPanel scope="tenant" scope_id=t.id.clone() admin=can(&me, Role::Admin)/>
                            {(t.state == TenantState::Pending).then(|| view! {
                                <p class="panel info">"This tenant is a record waiting to be provisioned; nothing exists on the cluster yet."</p>
                            })}
                            {operator.then(|| view! {
                                <KeptOpen open=edit.open class="panel" summary="Edit record">
                                    <ActionForm action=update attr:class="form-grid">
                                        <input type="hidden" name="id" value=id_for_edit/>
                                        <Field field="company_name" label="Company name" error=failure(result)>
                                            <input id="company_name" name="form[company_name]" prop:value=company on:input=set_company/>
                                        </Field>
                                        <Field field="owner_name" label="Owner name" error=failure(result)>
                                            <input id="owner_name" name="form[owner_name]" prop:value=owner on:input=set_owner/>
                                        </Field>
                                        <Field field="owner_email" label="Owner e-mail" error=failure(result)>
                                            <input id="owner_email" name="form[owner_email]" prop:value=email on:input=set_email/>
                                        </Field>
                                        <Field field="custom_domain" label="Custom domain" error=failure(result)>
                                            <input id="custom_domain" name="form[custom_domain]" prop:value=domain on:input=set_domain/>
                                        </Field>
                                        <div class="actions"><button type="submit" class="button primary">"Save"</button></div>
                                    </ActionForm>
                                </KeptOpen>
                            })}
                            {deletable.then(|| view! {
                                <ActionForm action=delete attr:class="inline">
                                    <input type="hidden" name="id" value=id_for_delete/>
                                    <button type="submit" class="button danger">"Delete record"</button>
                                </ActionForm>
                            })}
                            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
