//! A release's custom fields as form inputs (the new-tenant wizard and a
//! tenant's change form) and as facts (the tenant page). Inputs post as
//! `form[custom_fields][<name>]`; an empty one means the field's default.

use leptos::prelude::*;

use super::Field;
use crate::domain::release::fields::{effective, form_key};
use crate::dto::{CustomFieldKind, CustomFieldSpec, CustomValues};
use crate::error::AppError;

/// One input per field, filled from `start`; every edit lands in `values`
/// (which the page posts or previews). Errors are read from `error` and
/// `also` under `custom_fields.<name>`.
#[component]
pub fn CustomFieldInputs(
    specs: Vec<CustomFieldSpec>,
    values: RwSignal<CustomValues>,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into)] also: Signal<Option<AppError>>,
    /// Prefix of the inputs' ids, so two forms on a page differ.
    id_prefix: &'static str,
) -> impl IntoView {
    specs
        .into_iter()
        .map(|f| {
            let id = format!("{id_prefix}{}", f.name);
            let name = format!("form[custom_fields][{}]", f.name);
            let key = f.name.clone();
            let now = values.with_untracked(|v| v.get(&f.name).cloned().unwrap_or_default());
            let set = move |ev: leptos::ev::Event| {
                let v = event_target_value(&ev);
                values.update(|m| {
                    m.insert(key.clone(), v);
                });
            };
            let default = f.default.clone().unwrap_or_default();
            let note = if f.required { "" } else { "(optional)" };
            let input = match f.kind {
                CustomFieldKind::Boolean | CustomFieldKind::Choice => {
                    let options: Vec<String> = if f.kind == CustomFieldKind::Boolean {
                        vec!["true".into(), "false".into()]
                    } else {
                        f.choices.clone()
                    };
                    let first = if default.is_empty() {
                        "Choose…".to_string()
                    } else {
                        format!("Default ({default})")
                    };
                    view! {
                        <select id=id.clone() name=name on:change=set data-field=f.name.clone()>
                            <option value="" selected=now.is_empty()>{first}</option>
                            {options.into_iter().map(|o| {
                                let selected = o == now;
                                view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                            }).collect_view()}
                        </select>
                    }
                    .into_any()
                }
                kind => {
                    let (kind_attr, mode) = match kind {
                        CustomFieldKind::Email => ("email", "email"),
                        CustomFieldKind::Url => ("url", "url"),
                        CustomFieldKind::Number => ("text", "decimal"),
                        _ => ("text", "text"),
                    };
                    let placeholder = if kind == CustomFieldKind::Colour && default.is_empty() {
                        "#1a73e8".to_string()
                    } else {
                        default.clone()
                    };
                    view! {
                        <input id=id.clone() name=name type=kind_attr inputmode=mode value=now
                            placeholder=placeholder autocomplete="off" data-field=f.name.clone()
                            class=if kind == CustomFieldKind::Colour { "mono" } else { "" }
                            on:input=set/>
                    }
                    .into_any()
                }
            };
            let help = f.help.clone().map(|h| view! { <p class="hint">{h}</p> });
            view! {
                <Field field=form_key(&f.name) label=f.label.clone() id=id note error=error also=also>
                    {input}
                    {help}
                </Field>
            }
        })
        .collect_view()
}

/// The tenant's custom fields with what each reads now (a default is
/// marked as such).
#[component]
pub fn CustomFieldFacts(specs: Vec<CustomFieldSpec>, values: CustomValues) -> impl IntoView {
    if specs.is_empty() {
        return ().into_any();
    }
    let reads = effective(&specs, &values);
    view! {
        <dl class="facts" data-testid="custom-fields">
            {specs.into_iter().map(|f| {
                let v = reads.get(&f.name).cloned().unwrap_or_default();
                let given = values.contains_key(&f.name);
                view! {
                    <dt>{f.label.clone()}</dt>
                    <dd data-field=f.name.clone()>
                        {if v.is_empty() { "—".to_string() } else { v.clone() }}
                        {(f.kind == CustomFieldKind::Colour && !v.is_empty()).then(|| view! {
                            <span class="swatch" style=format!("background:{v}") aria-hidden="true"></span>
                        })}
                        {(!given && !v.is_empty()).then(|| view! { <span class="muted">" (default)"</span> })}
                    </dd>
                }
            }).collect_view()}
        </dl>
    }
    .into_any()
}
