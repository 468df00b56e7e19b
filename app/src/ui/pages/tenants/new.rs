//! "New tenant": a wizard from template to running tenant. The template's
//! limits show as it is chosen, the tenant ID is suggested and checked as it
//! is typed, a dry-run shows the manifests, and submitting (with "provision
//! now") lands on the tenant page, where the timeline fills in live.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::applications::{list_applications, list_releases};
use crate::api::operations::PreviewNewTenant;
use crate::api::templates::list_templates;
use crate::api::tenants::{check_tenant_id, suggest_tenant_id, CreateTenant};
use crate::domain::custom_plan::{custom_application, custom_spec, CUSTOM_PREFIX};
use crate::dto::{CustomFieldSpec, CustomValues, IdCheck, NewTenantForm, Role, TemplateChoice};
use crate::error::AppError;
use crate::ui::components::{
    failure, tier_summary, CustomFieldInputs, Field, FormError, TemplateOptions,
};
use crate::ui::shell::{can, use_session};

async fn id_hint(company: String, wanted: String) -> Option<Result<IdCheck, AppError>> {
    if !wanted.trim().is_empty() {
        Some(check_tenant_id(wanted.trim().to_string()).await)
    } else if !company.trim().is_empty() {
        Some(suggest_tenant_id(company).await.map(|id| IdCheck {
            message: format!("Leave empty to get an ID like {id}"),
            id,
            ok: true,
        }))
    } else {
        None
    }
}

#[component]
pub fn NewTenantPage() -> impl IntoView {
    let create = ServerAction::<CreateTenant>::new();
    let result = Signal::derive(move || create.value().get());
    let company = RwSignal::new(String::new());
    let wanted_id = RwSignal::new(String::new());
    let template = RwSignal::new(String::new());
    let owner_name = RwSignal::new(String::new());
    let owner_email = RwSignal::new(String::new());
    let domain = RwSignal::new(String::new());
    let custom = RwSignal::new(CustomValues::new());
    let preview = ServerAction::<PreviewNewTenant>::new();
    let preview_result = Signal::derive(move || preview.value().get());
    let show_preview = move |_| {
        preview.dispatch(PreviewNewTenant {
            form: NewTenantForm {
                company_name: company.get_untracked(),
                owner_name: owner_name.get_untracked(),
                owner_email: owner_email.get_untracked(),
                template_id: template.get_untracked(),
                custom_domain: domain.get_untracked(),
                tenant_id: wanted_id.get_untracked(),
                provision: false,
                provision_at: String::new(),
                custom_fields: custom.get_untracked(),
            },
        });
    };
    let hint = Resource::new(
        move || (company.get(), wanted_id.get()),
        |(c, w)| id_hint(c, w),
    );
    let templates = Resource::new(|| (), |_| list_templates());
    // Admins may make a tenant of an application without a plan (custom).
    let applications = Resource::new(|| (), |_| list_applications());
    let session = use_session();
    // The chosen plan's application's newest release: what a new tenant
    // runs, and so the custom fields it asks for.
    let application = move || {
        let chosen = template.get();
        if let Some(app) = custom_application(&chosen) {
            return Some(app.to_string());
        }
        templates.get().and_then(|r| r.ok()).and_then(|list| {
            list.into_iter()
                .find(|t| t.id.to_string() == chosen)
                .map(|t| t.application_key)
        })
    };
    let fields = Resource::new(application, |key| async move {
        match key {
            Some(k) => list_releases(k).await.map(|r| {
                r.into_iter()
                    .next()
                    .map(|r| r.spec.fields)
                    .unwrap_or_default()
            }),
            None => Ok(Vec::<CustomFieldSpec>::new()),
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(t)) = create.value().get() {
            navigate(&format!("/tenants/{}", t.id), Default::default());
        }
    });

    view! {
        <Title text="New tenant"/>
        <h1>"New tenant"</h1>
        <ActionForm action=create attr:class="form-grid" attr:novalidate=true>
            <Field field="company_name" label="Company name" error=failure(result) also=failure(preview_result)>
                <input id="company_name" name="form[company_name]" required maxlength="100"
                    on:input=move |ev| company.set(event_target_value(&ev))/>
            </Field>
            <Field field="owner_name" label="Owner name" error=failure(result) also=failure(preview_result)>
                <input id="owner_name" name="form[owner_name]" required maxlength="100" autocomplete="off"
                    on:input=move |ev| owner_name.set(event_target_value(&ev))/>
            </Field>
            <Field field="owner_email" label="Owner e-mail" error=failure(result) also=failure(preview_result)>
                <input id="owner_email" name="form[owner_email]" type="email" required autocomplete="off"
                    on:input=move |ev| owner_email.set(event_target_value(&ev))/>
            </Field>
            <Field field="template_id" label="Template" error=failure(result) also=failure(preview_result)>
                <select id="template_id" name="form[template_id]" required
                    on:change=move |ev| {
                        custom.set(CustomValues::new());
                        template.set(event_target_value(&ev));
                    }>
                    <option value="">"Choose a template…"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let choices: Vec<TemplateChoice> = templates.await.unwrap_or_default()
                                .iter().filter(|t| !t.custom).map(TemplateChoice::from).collect();
                            view! { <TemplateOptions choices/> }
                        })}
                        {move || Suspend::new(async move {
                            let admin = can(&session.me.await, Role::Admin);
                            let apps = if admin { applications.await.unwrap_or_default() } else { vec![] };
                            let apps: Vec<_> = apps.into_iter().filter(|a| a.latest_release > 0).collect();
                            (!apps.is_empty()).then(|| view! {
                                <optgroup label="Without a plan (admins)">
                                    {apps.into_iter().map(|a| view! {
                                        <option value=format!("{CUSTOM_PREFIX}{}", a.key)>{format!("{}: custom (no plan)", a.name)}</option>
                                    }).collect_view()}
                                </optgroup>
                            })
                        })}
                    </Suspense>
                </select>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = templates.await.unwrap_or_default();
                        let chosen = template.get();
                        // A custom tenant: its application's custom plan,
                        // or how it will be made.
                        let spec = match custom_application(&chosen) {
                            Some(app) => Some(list.into_iter()
                                .find(|t| t.custom && t.application_key == app)
                                .map_or_else(custom_spec, |t| t.spec)),
                            None => list.into_iter().find(|t| t.id.to_string() == chosen).map(|t| t.spec),
                        };
                        spec.map(|s| view! { <p class="hint" data-testid="tier-summary">{tier_summary(&s)}</p> })
                    })}
                </Suspense>
            </Field>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let specs = fields.await.unwrap_or_default();
                    view! {
                        <CustomFieldInputs specs values=custom error=failure(result)
                            also=failure(preview_result) id_prefix="cf-"/>
                    }
                })}
            </Suspense>
            <Field field="custom_domain" label="Custom domain" note="(optional)" error=failure(result) also=failure(preview_result)>
                <input id="custom_domain" name="form[custom_domain]" placeholder="shop.example.com" autocomplete="off"
                    on:input=move |ev| domain.set(event_target_value(&ev))/>
            </Field>
            <Field field="tenant_id" label="Tenant ID" note="(optional)" error=failure(result)>
                <input id="tenant_id" name="form[tenant_id]" class="mono" maxlength="56" autocomplete="off"
                    aria-describedby="tenant_id-hint"
                    on:input=move |ev| wanted_id.set(event_target_value(&ev))/>
                <p id="tenant_id-hint" class="hint" aria-live="polite" data-testid="id-hint">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match hint.await {
                                None => view! { <span>"Generated from the company name when left empty."</span> }.into_any(),
                                Some(Ok(c)) => view! {
                                    <span class=if c.ok { "ok" } else { "bad" }>{c.message}</span>
                                }.into_any(),
                                Some(Err(e)) => view! { <span class="bad">{e.to_string()}</span> }.into_any(),
                            }
                        })}
                    </Transition>
                </p>
            </Field>
            <label class="check">
                <input type="checkbox" name="form[provision]" value="true" checked/>
                " Provision it (otherwise it stays a record until someone does)"
            </label>
            <Field field="provision_at" label="Provision at" note="(UTC, like 2026-12-01T09:30; empty: now)" error=failure(result)>
                <input id="provision_at" name="form[provision_at]" class="mono" placeholder="2026-12-01T09:30" autocomplete="off"/>
            </Field>
            <div class="actions">
                <button type="button" class="button" on:click=show_preview>"Preview manifests"</button>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>"Create tenant"</button>
            </div>
        </ActionForm>
        {move || match preview.value().get() {
            Some(Ok(p)) => Some(view! {
                <section class="panel" aria-labelledby="preview-h" data-testid="manifest-preview">
                    <h2 id="preview-h">{format!("Dry-run: {} v{} as {}", p.template_name, p.template_version, p.tenant_id)}</h2>
                    <p class="muted">"Nothing has been created. Secrets are generated on the cluster when provisioning runs; their values never pass through here."</p>
                    {p.warnings.iter().map(|w| view! { <p class="warning" role="status">{w.clone()}</p> }).collect_view()}
                    <pre class="yaml">{p.yaml}</pre>
                </section>
            }.into_any()),
            _ => None,
        }}
        <FormError result=preview_result/>
        <FormError result/>
    }
}
