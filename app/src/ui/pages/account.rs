//! Changing one's own password: open to every staff member, and the only
//! page open to someone signed in with a generated password until they do.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::session::ChangePassword;
use crate::domain::validate::MIN_PASSWORD;
use crate::ui::components::{failure, Field, FormError};
use crate::ui::shell::use_session;

#[component]
pub fn AccountPasswordPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let session = use_session();
    let navigate = use_navigate();
    let result = Signal::derive(move || change.value().get());
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.value().get() {
            session.version.update(|v| *v += 1);
            navigate("/", Default::default());
        }
    });
    let forced = move || {
        session
            .me
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .is_some_and(|me| me.must_change_password)
    };
    view! {
        <Title text="Change password"/>
        <section class="narrow">
            <h1>"Change your password"</h1>
            <Transition fallback=|| ()>
                {move || forced().then(|| view! {
                    <p class="panel notice" data-testid="must-change">
                        "You signed in with a password that was generated for you. Choose your own before you go on."
                    </p>
                })}
            </Transition>
            <ActionForm action=change attr:class="stack">
                <Field field="current_password" label="Current password" error=failure(result)>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                </Field>
                <Field field="new_password" label="New password" error=failure(result)>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" required
                        minlength=MIN_PASSWORD.to_string()/>
                    <p class="muted">{format!("At least {MIN_PASSWORD} characters.")}</p>
                </Field>
                <label class="check">
                    <input type="checkbox" name="revoke_tokens" value="true"/>
                    " Also revoke my API tokens (if one may have leaked with the old password)"
                </label>
                <button type="submit" class="button primary" disabled=move || change.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
            <FormError result/>
        </section>
    }
}
