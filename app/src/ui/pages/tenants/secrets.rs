//! The tenant's generated Secrets that a rotation may make anew (the
//! release's own, the tenant admin's), each with a Rotate button for
//! operators of a running tenant: the run rolls the pods and runs again the
//! jobs that read it; the new values are then shown once in Credentials.

use leptos::prelude::*;

use super::actions::OpActions;
use crate::api::operations::rotatable_secrets;
use crate::domain::lifecycle::allowed_operations;
use crate::dto::{Operation, Role, TenantDto};
use crate::ui::components::ErrorPanel;

#[component]
pub fn GeneratedSecrets(t: TenantDto, role: Option<Role>, ops: OpActions) -> impl IntoView {
    let operator = role.is_some_and(|r| r.allows(Role::Operator));
    let can_rotate =
        operator && allowed_operations(t.state, t.ever_live()).contains(&Operation::Rotate);
    if !t.state.is_live() {
        return ().into_any();
    }
    let id = t.id.clone();
    // Keyed on the tenant alone: the page makes this panel again on every
    // change it hears of.
    let names = Resource::new(move || id.clone(), rotatable_secrets);
    let id = t.id.clone();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let id = id.clone();
                names.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <section class="panel" aria-labelledby="secrets-h" data-testid="generated-secrets">
                            <h2 id="secrets-h">"Generated secrets"</h2>
                            <p class="muted">"Rotating one makes it anew: the pods restart with it, the jobs that read it run again, and its new value can be shown once under Credentials."</p>
                            <ul class="plain">
                                {list.into_iter().map(|name| {
                                    let (tenant, secret) = (id.clone(), name.clone());
                                    let button = can_rotate.then(move || view! {
                                        <ActionForm action=ops.rotate_secrets attr:class="inline">
                                            <input type="hidden" name="id" value=tenant/>
                                            <input type="hidden" name="form[secrets][0]" value=secret/>
                                            <button type="submit" class="button">"Rotate"</button>
                                        </ActionForm>
                                    });
                                    view! {
                                        <li data-secret=name.clone()>
                                            <span class="mono">{name.clone()}</span>" "{button}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            {move || ops.rotate_secrets.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
                        </section>
                    }.into_any(),
                })
            }}
        </Suspense>
    }
    .into_any()
}
