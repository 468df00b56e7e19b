//! The operations an operator may start on a tenant, offered by its state:
//! provision, suspend, resume, clean up, a tier change (previewed first)
//! and deprovisioning with its options and a typed confirmation.

use leptos::prelude::*;

use super::forms::{ChangeFormState, DeprovisionState, KeptOpen, TenantForms};
use crate::api::applications::release_of_tenant;
use crate::api::operations::{
    BackupTenant, ChangeTenant, CleanupTenant, DeprovisionTenant, ProvisionTenant, RestoreTenant,
    ResumeTenant, RotateSecrets, SuspendTenant,
};
use crate::api::templates::template_choices;
use crate::domain::lifecycle::allowed_operations;
use crate::dto::{ChangeAction, CustomValues, Operation, Role, RunDto, TenantDto, TenantState};
use crate::error::AppError;
use crate::ui::components::{
    failure, CustomFieldInputs, ErrorPanel, Field, FormError, TemplateOptions,
};

/// Every operation's action, so the page can refetch when one finishes.
#[derive(Clone, Copy)]
pub struct OpActions {
    pub provision: ServerAction<ProvisionTenant>,
    pub suspend: ServerAction<SuspendTenant>,
    pub resume: ServerAction<ResumeTenant>,
    pub cleanup: ServerAction<CleanupTenant>,
    pub change: ServerAction<ChangeTenant>,
    pub deprovision: ServerAction<DeprovisionTenant>,
    pub backup: ServerAction<BackupTenant>,
    pub restore: ServerAction<RestoreTenant>,
    pub rotate_secrets: ServerAction<RotateSecrets>,
}

impl OpActions {
    pub fn new() -> OpActions {
        OpActions {
            provision: ServerAction::new(),
            suspend: ServerAction::new(),
            resume: ServerAction::new(),
            cleanup: ServerAction::new(),
            change: ServerAction::new(),
            deprovision: ServerAction::new(),
            backup: ServerAction::new(),
            restore: ServerAction::new(),
            rotate_secrets: ServerAction::new(),
        }
    }

    /// Moves whenever any of them completes.
    pub fn version(&self) -> usize {
        self.provision.version().get()
            + self.suspend.version().get()
            + self.resume.version().get()
            + self.cleanup.version().get()
            + self.change.version().get()
            + self.deprovision.version().get()
            + self.backup.version().get()
            + self.restore.version().get()
            + self.rotate_secrets.version().get()
    }

    fn last_error(&self) -> Option<AppError> {
        let simple: [Option<Result<RunDto, AppError>>; 4] = [
            self.provision.value().get(),
            self.suspend.value().get(),
            self.resume.value().get(),
            self.cleanup.value().get(),
        ];
        simple.into_iter().flatten().find_map(|r| r.err())
    }
}

/// The operation buttons and forms for `t`, for someone with `role`.
#[component]
pub fn TenantActions(
    t: TenantDto,
    role: Option<Role>,
    ops: OpActions,
    forms: TenantForms,
) -> impl IntoView {
    let operator = role.is_some_and(|r| r.allows(Role::Operator));
    if !operator {
        return ().into_any();
    }
    let admin = role.is_some_and(|r| r.allows(Role::Admin));
    let allowed = allowed_operations(t.state, t.ever_live());
    let has = |op: Operation| allowed.contains(&op);
    let id = t.id.clone();
    let button = |op: Operation| -> AnyView {
        let id = id.clone();
        match op {
            Operation::Provision => view! {
                <ActionForm action=ops.provision attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="button primary">"Provision"</button>
                </ActionForm>
            }
            .into_any(),
            Operation::Suspend => view! {
                <ActionForm action=ops.suspend attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="button">"Suspend"</button>
                </ActionForm>
            }
            .into_any(),
            Operation::Resume => view! {
                <ActionForm action=ops.resume attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="button primary">"Resume"</button>
                </ActionForm>
            }
            .into_any(),
            Operation::Cleanup => view! {
                <ActionForm action=ops.cleanup attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="button">"Clean up"</button>
                </ActionForm>
            }
            .into_any(),
            _ => ().into_any(),
        }
    };
    let simple: Vec<AnyView> = [
        Operation::Provision,
        Operation::Suspend,
        Operation::Resume,
        Operation::Cleanup,
    ]
    .into_iter()
    .filter(|op| has(*op))
    .map(button)
    .collect();
    let live_hint = (t.state == TenantState::Failed && t.ever_live()).then(|| view! {
        <p class="muted" data-testid="live-repair-hint">
            "This tenant has been live, so Provision and Clean up are not offered: they could remove its namespace and data. Repair it with a change (an update), or retry or recover its last run from the runs below; only Deprovision removes it."
        </p>
    });
    let change = has(Operation::Update).then(|| {
        view! { <ChangeTier id=t.id.clone() values=t.custom_fields.clone() ops form=forms.change/> }
    });
    let deprovision = has(Operation::Deprovision)
        .then(|| view! { <Deprovision id=t.id.clone() admin ops form=forms.deprovision/> });
    view! {
        <section class="panel actions-panel" aria-labelledby="actions-h" data-testid="tenant-actions">
            <h2 id="actions-h">"Operations"</h2>
            <div class="button-row">{simple}</div>
            {live_hint}
            {move || ops.last_error().map(|e| view! { <ErrorPanel err=e/> })}
            {change}
            {deprovision}
        </section>
    }
    .into_any()
}

/// Tier, release, replica or custom field change: preview the diff, then
/// apply it. The custom fields shown are those of the release the tenant
/// runs, filled with its values. What is typed (and the preview) is the
/// page's `form`, so a live change of the tenant does not clear it.
#[component]
fn ChangeTier(
    id: String,
    values: CustomValues,
    ops: OpActions,
    form: ChangeFormState,
) -> impl IntoView {
    let ChangeFormState {
        open,
        template,
        api,
        web,
        release,
        custom,
        preview,
    } = form;
    if !open.get_untracked() {
        custom.set(values);
    }
    let release_now = Resource::new(
        {
            let id = id.clone();
            move || id.clone()
        },
        release_of_tenant,
    );
    let templates = Resource::new(|| (), |_| template_choices());
    let preview_result = Signal::derive(move || preview.value().get());
    let change_result = Signal::derive(move || ops.change.value().get());
    let id2 = id.clone();
    view! {
        <KeptOpen open class="op" summary="Change tier, release, replicas or custom fields">
            <ActionForm action=preview attr:class="form-grid">
                <input type="hidden" name="id" value=id.clone()/>
                <Field field="template_id" label="Template" id="change-template" error=failure(preview_result)>
                    <select id="change-template" name="form[template_id]" on:change=move |ev| template.set(event_target_value(&ev))>
                        <option value="">"Keep the current template"</option>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let choices = templates.await.unwrap_or_default();
                                let selected = template.get_untracked();
                                view! { <TemplateOptions choices selected/> }
                            })}
                        </Suspense>
                    </select>
                </Field>
                <Field field="api_replicas" label="API replicas" id="change-api" error=failure(preview_result)>
                    <input id="change-api" name="form[api_replicas]" placeholder="keep · a number · tier" prop:value=move || api.get() on:input=move |ev| api.set(event_target_value(&ev))/>
                </Field>
                <Field field="web_replicas" label="Web replicas" id="change-web" error=failure(preview_result)>
                    <input id="change-web" name="form[web_replicas]" placeholder="keep · a number · tier" prop:value=move || web.get() on:input=move |ev| web.set(event_target_value(&ev))/>
                </Field>
                <Field field="release" label="Release" id="change-release" error=failure(preview_result)>
                    <input id="change-release" name="form[release]" inputmode="numeric" placeholder="keep · a release number" prop:value=move || release.get() on:input=move |ev| release.set(event_target_value(&ev))/>
                </Field>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let specs = release_now.await.map(|r| r.spec.fields).unwrap_or_default();
                        view! {
                            <CustomFieldInputs specs values=custom error=failure(preview_result)
                                also=failure(change_result) id_prefix="change-cf-"/>
                        }
                    })}
                </Suspense>
                <div class="actions"><button type="submit" class="button">"Preview change"</button></div>
            </ActionForm>
            {move || match preview.value().get() {
                None => ().into_any(),
                Some(Err(e)) if e.field_message("template_id").is_some() || e.field_message("api_replicas").is_some() || e.field_message("web_replicas").is_some() || e.field_message("release").is_some() || custom_field_error(&e) => ().into_any(),
                Some(Err(e)) => view! { <ErrorPanel err=e/> }.into_any(),
                Some(Ok(p)) => {
                    let changed: Vec<_> = p.objects.iter().filter(|o| o.action != ChangeAction::Unchanged).cloned().collect();
                    let id = id2.clone();
                    view! {
                        <div class="diff" data-testid="change-diff">
                            <p>{format!("Target: {} v{}, release {}{}{}", p.template_name, p.template_version, p.release,
                                if p.release != p.release_now { format!(" (now {}: its migrations run first, its post-upgrade jobs after)", p.release_now) } else { String::new() },
                                if p.compared_with_live { "" } else { " (not compared with live objects)" })}</p>
                            {p.warnings.iter().map(|w| view! { <p class="warning" role="status">{w.clone()}</p> }).collect_view()}
                            {if changed.is_empty() && p.compared_with_live {
                                view! { <p class="muted">"Nothing would change."</p> }.into_any()
                            } else {
                                view! {
                                    <ul>
                                        {changed.into_iter().map(|o| view! {
                                            <li>
                                                <strong>{format!("{:?} {} {}", o.action, o.kind, o.name)}</strong>
                                                <ul>{o.fields.into_iter().map(|f| view! {
                                                    <li class="mono">{format!("{}: {} → {}", f.path, f.live.unwrap_or_else(|| "—".into()), f.desired.unwrap_or_else(|| "—".into()))}</li>
                                                }).collect_view()}</ul>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <details><summary>"Rendered manifests"</summary><pre class="yaml">{p.yaml}</pre></details>
                            <ActionForm action=ops.change attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="form[template_id]" prop:value=move || template.get()/>
                                <input type="hidden" name="form[api_replicas]" prop:value=move || api.get()/>
                                <input type="hidden" name="form[web_replicas]" prop:value=move || web.get()/>
                                <input type="hidden" name="form[release]" prop:value=move || release.get()/>
                                {move || custom.get().into_iter().map(|(k, v)| view! {
                                    <input type="hidden" name=format!("form[custom_fields][{k}]") prop:value=v/>
                                }).collect_view()}
                                <button type="submit" class="button primary">"Apply this change"</button>
                            </ActionForm>
                        </div>
                    }.into_any()
                }
            }}
            {move || change_result.get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
        </KeptOpen>
    }
}

/// Whether `e` names a custom field (shown under its input).
fn custom_field_error(e: &AppError) -> bool {
    matches!(e, AppError::Invalid(list) if list.iter().any(|f| f.field.starts_with("custom_fields.")))
}

/// Deprovisioning: backup, audit, grace period or schedule, and the ID typed
/// again. Force and purging the audit trail are offered to admins only (and
/// checked again on the server).
#[component]
fn Deprovision(id: String, admin: bool, ops: OpActions, form: DeprovisionState) -> impl IntoView {
    let result = Signal::derive(move || ops.deprovision.value().get());
    let check = |name: &'static str, on: RwSignal<bool>, label: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox" name=name value="true" prop:checked=move || on.get()
                    on:change=move |ev| on.set(event_target_checked(&ev))/>
                {label}
            </label>
        }
    };
    let text = |s: RwSignal<String>| {
        (
            move || s.get(),
            move |ev: leptos::ev::Event| s.set(event_target_value(&ev)),
        )
    };
    let (grace, set_grace) = text(form.grace_hours);
    let (at, set_at) = text(form.scheduled_at);
    let (confirm, set_confirm) = text(form.confirm);
    view! {
        <KeptOpen open=form.open class="op danger-zone" summary="Deprovision">
            <ActionForm action=ops.deprovision attr:class="form-grid">
                <input type="hidden" name="id" value=id.clone()/>
                {check("form[backup]", form.backup, " Back up the database first")}
                {admin.then(|| view! {
                    {check("form[purge_audit]", form.purge_audit, " Delete the tenant's audit events afterwards (security events are kept)")}
                    {check("form[notify_owner]", form.notify_owner, " Tell the owner by mail when it starts and once it is gone")}
                })}
                <Field field="grace_hours" label="Grace period (hours)" id="grace" error=failure(result)>
                    <input id="grace" name="form[grace_hours]" inputmode="numeric" placeholder="0" prop:value=grace on:input=set_grace/>
                </Field>
                <Field field="scheduled_at" label="Start at (UTC)" id="scheduled" error=failure(result)>
                    <input id="scheduled" name="form[scheduled_at]" type="datetime-local" prop:value=at on:input=set_at/>
                </Field>
                {admin.then(|| check("form[force]", form.force, " Force: remove finalizers that block deletion (only from Tenantry's own objects)"))}
                <Field field="confirm" label=format!("Type {id} to confirm") error=failure(result)>
                    <input id="confirm" name="form[confirm]" autocomplete="off" class="mono" prop:value=confirm on:input=set_confirm/>
                </Field>
                <div class="actions"><button type="submit" class="button danger">"Deprovision"</button></div>
            </ActionForm>
            <FormError result/>
        </KeptOpen>
    }
}
