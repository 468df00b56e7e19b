//! The credentials generated at provisioning, shown once with a copy
//! button; the tenant's API keys and their rotation (each new key shown
//! once the same way).

use leptos::prelude::*;

use crate::api::credentials::{tenant_api_keys, RevealCredentials, RotateApiKey};
use crate::dto::{Role, TenantDto, DEFAULT_KEY_OVERLAP_HOURS, MAX_KEY_OVERLAP_HOURS};
use crate::ui::components::{format_time, ErrorPanel};

/// Copies `text` to the clipboard (in the browser; nothing on the server).
fn copy(text: String) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(&text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// The one-time reveal, for operators of a provisioned tenant. `reveal`
/// lives on the page, so the values survive the refetch that follows.
#[component]
pub fn Credentials(
    t: TenantDto,
    role: Option<Role>,
    reveal: ServerAction<RevealCredentials>,
) -> impl IntoView {
    let operator = role.is_some_and(|r| r.allows(Role::Operator));
    let provisioned = t.state.is_live();
    if !operator || !provisioned {
        return ().into_any();
    }
    // Secrets rotated since then are shown once more.
    let shown = t
        .credentials_shown_at
        .filter(|_| t.credentials_rotated.is_empty())
        .map(|at| {
            format!(
                "The generated credentials were shown to {} at {}; they are shown once.",
                t.credentials_shown_by.clone().unwrap_or_default(),
                format_time(at)
            )
        });
    let offer = if t.credentials_shown_at.is_some() {
        format!(
            "Rotated since the credentials were shown: {}. Their new values can be shown here once; copy them now.",
            t.credentials_rotated.join(", ")
        )
    } else {
        "The passwords and secrets were generated on the cluster, and the release's API keys are issued now. They can be shown here once; copy them now.".to_string()
    };
    view! {
        <section class="panel" aria-labelledby="cred-h" data-testid="credentials">
            <h2 id="cred-h">"Credentials"</h2>
            {match shown {
                Some(text) => view! { <p class="muted">{text}</p> }.into_any(),
                None => view! {
                    <p data-testid="credentials-offer">{offer}</p>
                    <ActionForm action=reveal attr:class="inline">
                        <input type="hidden" name="id" value=t.id.clone()/>
                        <button type="submit" class="button primary">"Show credentials once"</button>
                    </ActionForm>
                }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// The revealed values, from the action (outside the refetched content).
#[component]
pub fn RevealedCredentials(reveal: ServerAction<RevealCredentials>) -> impl IntoView {
    move || {
        reveal.value().get().map(|r| match r {
            Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
            Ok(list) => view! {
                <section class="panel info" aria-label="Credentials, shown once" data-testid="revealed-credentials">
                    <p><strong>"Shown once."</strong>" Store them now; this page will not show them again."</p>
                    <dl class="facts">
                        {list.into_iter().map(|c| {
                            let value = c.value.clone();
                            view! {
                                <dt class="mono">{c.name.clone()}</dt>
                                <dd>
                                    <code class="secret" data-credential=c.name.clone()>{c.value.clone()}</code>" "
                                    <button type="button" class="button subtle" on:click=move |_| copy(value.clone())>"Copy"</button>
                                </dd>
                            }
                        }).collect_view()}
                    </dl>
                </section>
            }.into_any(),
        })
    }
}

/// The tenant's API keys, when its release declares any: when each was
/// issued, until when a replaced one is accepted, and (operators) a
/// rotation with its overlap. `rotate` lives on the page, so the new key
/// survives the refetch that follows.
#[component]
pub fn ApiKeys(
    t: TenantDto,
    role: Option<Role>,
    rotate: ServerAction<RotateApiKey>,
) -> impl IntoView {
    if !t.state.is_live() {
        return ().into_any();
    }
    let operator = role.is_some_and(|r| r.allows(Role::Operator));
    let id = t.id.clone();
    // The page makes this panel again after a rotation (and on every
    // change it hears of): the resource keys on the tenant alone.
    let keys = Resource::new(move || id.clone(), tenant_api_keys);
    let id = t.id.clone();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    let list = match keys.await {
                        Err(e) => return view! { <ErrorPanel err=e/> }.into_any(),
                        Ok(list) if list.is_empty() => return ().into_any(),
                        Ok(list) => list,
                    };
                    view! {
                        <section class="panel" aria-labelledby="keys-h" data-testid="api-keys">
                            <h2 id="keys-h">"API keys"</h2>
                            <p class="muted">"Tenantry keeps only each key's SHA-256; the application checks callers against the hashes. A new key is shown once."</p>
                            <table>
                                <thead><tr><th>"Key"</th><th>"Issued"</th><th>"Replaced key"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|k| {
                                        let issued = match (k.issued_at, k.issued_by.clone()) {
                                            (Some(at), Some(by)) => format!("{} by {by}", format_time(at)),
                                            _ => "not issued yet (\"Show credentials once\" issues it)".into(),
                                        };
                                        let previous = k.previous_until.map_or_else(
                                            || "—".to_string(),
                                            |until| format!("accepted until {}", format_time(until)),
                                        );
                                        let id = id.clone();
                                        let name = k.name.clone();
                                        view! {
                                            <tr data-key=k.name.clone()>
                                                <td class="mono">{k.name.clone()}</td>
                                                <td>{issued}</td>
                                                <td data-testid="key-previous">{previous}</td>
                                                <td>{operator.then(|| view! {
                                                    <ActionForm action=rotate attr:class="inline">
                                                        <input type="hidden" name="id" value=id/>
                                                        <input type="hidden" name="name" value=name/>
                                                        <label>"Old key valid for "
                                                            <input type="number" name="form[overlap_hours]" min="0"
                                                                max=MAX_KEY_OVERLAP_HOURS.to_string()
                                                                placeholder=DEFAULT_KEY_OVERLAP_HOURS.to_string()/>
                                                            " h"</label>" "
                                                        <button type="submit" class="button">"Rotate"</button>
                                                    </ActionForm>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
    .into_any()
}

/// A key just rotated, from the action (outside the refetched content).
#[component]
pub fn RotatedKey(rotate: ServerAction<RotateApiKey>) -> impl IntoView {
    move || {
        rotate.value().get().map(|r| match r {
            Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
            Ok(k) => {
                let value = k.key.clone();
                let until = k.previous_until.map(|u| format!(" The key it replaced is accepted until {}.", format_time(u)));
                view! {
                    <section class="panel info" aria-label="New API key, shown once" data-testid="rotated-key">
                        <p><strong>"Shown once."</strong>" Store the new "<span class="mono">{k.name.clone()}</span>" key now; this page will not show it again."{until}</p>
                        <code class="secret" data-credential=format!("api-key/{}", k.name)>{k.key.clone()}</code>" "
                        <button type="button" class="button subtle" on:click=move |_| copy(value.clone())>"Copy"</button>
                    </section>
                }
                .into_any()
            }
        })
    }
}
