//! The credentials generated at provisioning, shown once with a copy button.

use leptos::prelude::*;

use crate::api::credentials::RevealCredentials;
use crate::dto::{Role, TenantDto};
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
    let shown = t.credentials_shown_at.map(|at| {
        format!(
            "The generated credentials were shown to {} at {}; they are shown once.",
            t.credentials_shown_by.clone().unwrap_or_default(),
            format_time(at)
        )
    });
    view! {
        <section class="panel" aria-labelledby="cred-h" data-testid="credentials">
            <h2 id="cred-h">"Credentials"</h2>
            {match shown {
                Some(text) => view! { <p class="muted">{text}</p> }.into_any(),
                None => view! {
                    <p>"The database password and JWT secret were generated on the cluster. They can be shown here once; copy them now."</p>
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
