//! The alert rules as they apply to a template or a tenant, with each
//! rule's override form for admins (empty fields inherit).

use leptos::prelude::*;

use crate::api::alerts::{alert_rules, SetAlertRule};
use crate::dto::{RuleDto, Severity};
use crate::ui::components::{ErrorPanel, FormError};

fn setting(r: &RuleDto) -> String {
    let s = &r.effective;
    let mut out = format!("{} · for {} s", s.severity, s.for_secs);
    if let Some(t) = s.threshold {
        out.push_str(&format!(" · threshold {t}"));
    }
    if let Some(c) = s.critical {
        out.push_str(&format!(" · critical {c}"));
    }
    out
}

#[component]
pub fn RulesPanel(scope: &'static str, scope_id: String, admin: bool) -> impl IntoView {
    let set = ServerAction::<SetAlertRule>::new();
    let id = scope_id.clone();
    let rules = Resource::new(
        move || set.version().get(),
        move |_| alert_rules(scope.to_string(), id.clone()),
    );
    let result = Signal::derive(move || set.value().get());
    view! {
        <details class="panel rules" data-testid="alert-rules">
            <summary>{format!("Alert rules for this {scope}")}</summary>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let sid = scope_id.clone();
                    Suspend::new(async move {
                        match rules.await {
                            Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                            Ok(list) => view! {
                                <table class="data compact">
                                    <thead><tr><th>"Rule"</th><th>"On"</th><th>"Settings"</th><th></th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|r| {
                                            let sid = sid.clone();
                                            view! {
                                                <tr data-rule=r.id.as_str() data-enabled=r.effective.enabled.to_string()>
                                                    <td title=r.description.clone()>{r.title.clone()}
                                                        {r.overridden.then(|| view! { <span class="badge">"set here"</span> })}
                                                        {r.unavailable.clone().map(|u| view! { <span class="badge unavailable" title=u>"unavailable"</span> })}
                                                    </td>
                                                    <td>{if r.effective.enabled { "on" } else { "off" }}</td>
                                                    <td class="mono small">{setting(&r)}
                                                        {r.expression.clone().map(|e| view! { <div class="expression" title="PromQL">{e}</div> })}
                                                    </td>
                                                    <td>{admin.then(|| view! {
                                                        <details>
                                                            <summary>"Override"</summary>
                                                            <ActionForm action=set attr:class="form-grid compact">
                                                                <input type="hidden" name="scope" value=scope/>
                                                                <input type="hidden" name="scope_id" value=sid/>
                                                                <input type="hidden" name="form[rule]" value=r.id.as_str()/>
                                                                <label>"On" <select name="form[enabled]">
                                                                    <option value="">"inherit"</option><option value="on">"on"</option><option value="off">"off"</option>
                                                                </select></label>
                                                                <label>"Severity" <select name="form[severity]">
                                                                    <option value="">"inherit"</option>
                                                                    {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                                                                </select></label>
                                                                <label>"For (s)" <input name="form[for_secs]" inputmode="numeric" size="6"/></label>
                                                                {r.threshold_label.clone().map(|l| view! {
                                                                    <label title=l>"Threshold" <input name="form[threshold]" inputmode="decimal" size="6"/></label>
                                                                })}
                                                                {(r.effective.critical.is_some()).then(|| view! {
                                                                    <label>"Critical" <input name="form[critical]" inputmode="decimal" size="6"/></label>
                                                                })}
                                                                {r.expression.is_some().then(|| view! {
                                                                    <label class="wide" title="One series per tenant labelled namespace, or use {namespace} / {tenant} to ask per tenant">
                                                                        "PromQL" <textarea name="form[expression]" rows="2" placeholder="inherit"></textarea>
                                                                    </label>
                                                                })}
                                                                <button type="submit" class="button">"Save"</button>
                                                            </ActionForm>
                                                        </details>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
            <FormError result/>
        </details>
    }
}
