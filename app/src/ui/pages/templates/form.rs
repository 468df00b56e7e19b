//! New and edit template pages. Saving an edit makes a new version; tenants
//! keep the version they were made from.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::applications::list_applications;
use crate::api::templates::{get_template, CreateTemplate, UpdateTemplate};
use crate::dto::{TemplateDto, TemplateForm};
use crate::error::AppError;
use crate::ui::components::{failure, ErrorPanel, Field};

type SaveResult = Signal<Option<Result<TemplateDto, AppError>>>;

#[component]
fn NumberField(
    result: SaveResult,
    field: &'static str,
    label: &'static str,
    value: String,
    #[prop(optional)] unit: &'static str,
) -> impl IntoView {
    view! {
        <Field field label error=failure(result) note=unit>
            <input id=field name=format!("form[{field}]") inputmode="numeric" value=value/>
        </Field>
    }
}

/// Every field of a template, pre-filled from `f`.
#[component]
fn TemplateFields(f: TemplateForm, result: SaveResult, key_locked: bool) -> impl IntoView {
    let applications = Resource::new(|| (), |_| list_applications());
    let chosen = f.application.clone();
    view! {
        <Field field="key" label="Key" error=failure(result)>
            <input id="key" name="form[key]" class="mono" value=f.key readonly=key_locked/>
        </Field>
        <Field field="application" label="Application" error=failure(result) note="its tenants run its releases">
            <select id="application" name="form[application]">
                <Suspense fallback=move || view! { <option value=chosen.clone()>{chosen.clone()}</option> }>
                    {
                        let chosen = f.application.clone();
                        move || {
                            let chosen = chosen.clone();
                            Suspend::new(async move {
                                let apps = applications.await.unwrap_or_default();
                                apps.into_iter()
                                    .map(|a| {
                                        let selected = a.key == chosen;
                                        view! { <option value=a.key.clone() selected=selected>{format!("{} ({})", a.name, a.key)}</option> }
                                    })
                                    .collect_view()
                            })
                        }
                    }
                </Suspense>
            </select>
        </Field>
        <Field field="name" label="Name" error=failure(result)>
            <input id="name" name="form[name]" value=f.name/>
        </Field>
        <Field field="description" label="Description" error=failure(result) wide=true>
            <textarea id="description" name="form[description]" rows="2">{f.description}</textarea>
        </Field>
        <NumberField result field="postgres_instances" label="PostgreSQL instances" value=f.postgres_instances/>
        <NumberField result field="postgres_storage_gi" label="PostgreSQL storage" unit="(Gi)" value=f.postgres_storage_gi/>
        <NumberField result field="api_replicas" label="API replicas" value=f.api_replicas/>
        <NumberField result field="web_replicas" label="Web replicas" value=f.web_replicas/>
        <NumberField result field="cpu_request_m" label="CPU request" unit="(millicores)" value=f.cpu_request_m/>
        <NumberField result field="cpu_limit_m" label="CPU limit" unit="(millicores)" value=f.cpu_limit_m/>
        <NumberField result field="memory_request_mi" label="Memory request" unit="(Mi)" value=f.memory_request_mi/>
        <NumberField result field="memory_limit_mi" label="Memory limit" unit="(Mi)" value=f.memory_limit_mi/>
        <NumberField result field="user_limit" label="User limit" unit="(empty = unlimited)" value=f.user_limit/>
        <div class="field checkbox">
            <label><input type="checkbox" name="form[backup_enabled]" checked=f.backup_enabled.is_some()/>" Scheduled backups"</label>
        </div>
        <Field field="backup_schedule" label="Backup schedule" note="(cron, UTC)" error=failure(result)>
            <input id="backup_schedule" name="form[backup_schedule]" class="mono" placeholder="0 2 * * *" value=f.backup_schedule/>
        </Field>
        <NumberField result field="backup_retention" label="Backups kept" value=f.backup_retention/>
        <NumberField result field="run_timeout_secs" label="Run timeout" unit="(seconds; empty = 600)" value=f.run_timeout_secs/>
        <NumberField result field="quota_cpu_m" label="Quota: CPU" unit="(millicores)" value=f.quota_cpu_m/>
        <NumberField result field="quota_memory_mi" label="Quota: memory" unit="(Mi)" value=f.quota_memory_mi/>
        <NumberField result field="quota_storage_gi" label="Quota: storage" unit="(Gi)" value=f.quota_storage_gi/>
        <NumberField result field="quota_pods" label="Quota: pods" value=f.quota_pods/>
        <Field field="features" label="Features" note="(comma-separated)" error=failure(result) wide=true>
            <input id="features" name="form[features]" value=f.features/>
        </Field>
        <Field field="limits" label="Limits" note="(name=number, comma-separated: the application reads them as ${plan.limit.<name>})" error=failure(result) wide=true>
            <input id="limits" name="form[limits]" value=f.limits placeholder="schools=10, products=500"/>
        </Field>
    }
}

fn general_error(result: SaveResult) -> impl IntoView {
    move || match result.get() {
        Some(Err(e @ AppError::Invalid(_))) => {
            Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any())
        }
        Some(Err(e)) => Some(view! { <ErrorPanel err=e/> }.into_any()),
        _ => None,
    }
}

fn go_to_template_on_success(result: SaveResult) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(t)) = result.get() {
            navigate(&format!("/templates/{}", t.id), Default::default());
        }
    });
}

#[component]
pub fn NewTemplatePage() -> impl IntoView {
    let save = ServerAction::<CreateTemplate>::new();
    let result: SaveResult = Signal::derive(move || save.value().get());
    go_to_template_on_success(result);
    let blank = TemplateForm {
        postgres_instances: "1".into(),
        api_replicas: "1".into(),
        web_replicas: "1".into(),
        ..Default::default()
    };
    view! {
        <Title text="New template"/>
        <h1>"New template"</h1>
        <ActionForm action=save attr:class="form-grid" attr:novalidate=true>
            <TemplateFields f=blank result key_locked=false/>
            <div class="actions"><button type="submit" class="button primary">"Create template"</button></div>
        </ActionForm>
        {general_error(result)}
    }
}

#[component]
pub fn EditTemplatePage() -> impl IntoView {
    let id = super::template_id_param();
    let detail = Resource::new(id, get_template);
    let save = ServerAction::<UpdateTemplate>::new();
    let result: SaveResult = Signal::derive(move || save.value().get());
    go_to_template_on_success(result);
    view! {
        <Title text="Edit template"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(d) => view! {
                        <h1>{format!("Edit {} (v{} → v{})", d.template.name, d.template.version, d.template.version + 1)}</h1>
                        <ActionForm action=save attr:class="form-grid" attr:novalidate=true>
                            <input type="hidden" name="id" value=d.template.id.to_string()/>
                            <input type="hidden" name="form[based_on_version]" value=d.template.version.to_string()/>
                            <TemplateFields f=TemplateForm::from_template(&d.template) result key_locked=true/>
                            <div class="actions"><button type="submit" class="button primary">"Save as new version"</button></div>
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Suspense>
        {general_error(result)}
    }
}
