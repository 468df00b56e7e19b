//! One's own API tokens: make one (name, role up to one's own, expiry),
//! see its secret once, see when each was last used, revoke.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::session::{list_tokens, CreateToken, RevokeToken};
use crate::dto::{NewTokenResult, Role};
use crate::error::AppError;
use crate::ui::components::{failure, format_time, ErrorPanel, Field, FormError};
use crate::ui::shell::use_session;

#[component]
fn NewSecret(result: Option<Result<NewTokenResult, AppError>>) -> impl IntoView {
    match result {
        Some(Ok(r)) => Some(view! {
            <div class="panel info" role="status">
                <p>{format!("Token \"{}\" — shown once, copy it now:", r.token.name)}</p>
                <p><code class="secret" data-testid="token-secret">{r.secret}</code></p>
                <p class="muted">"Use it as "<code>"Authorization: Bearer …"</code>", or "
                    <code>"TENANTRY_TOKEN=… tenantry tenant list"</code>"."</p>
            </div>
        }),
        _ => None,
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let session = use_session();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let created = Signal::derive(move || create.value().get());
    let my_role = move || {
        session
            .me
            .get()
            .and_then(|r| r.ok())
            .flatten()
            .map(|me| me.role)
            .unwrap_or(Role::Viewer)
    };
    view! {
        <Title text="API tokens"/>
        <h1>"API tokens"</h1>
        <p class="muted">"Tokens let scripts and the "<code>"tenantry"</code>" CLI use the "
            <a href="/api/v1/reference" rel="external">"JSON API"</a>" as you. A token never does more than your role allows now."</p>
        <ActionForm action=create attr:class="form-grid">
            <Field field="name" label="Name" id="token-name" error=failure(created)>
                <input id="token-name" name="form[name]" placeholder="ci-demo-tenants" required/>
            </Field>
            <Field field="role" label="Role" id="token-role" error=failure(created)>
                <Transition fallback=|| ()>
                    <select id="token-role" name="form[role]">
                        {move || Role::ALL.into_iter().filter(|r| *r <= my_role()).map(|r| view! {
                            <option value=r.as_str()>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                </Transition>
            </Field>
            <Field field="expires_in_days" label="Expires after (days)" id="token-days" error=failure(created)>
                <input id="token-days" name="form[expires_in_days]" type="number" min="1" max="365" value="30"/>
            </Field>
            <div class="actions"><button type="submit" class="button primary">"Make token"</button></div>
        </ActionForm>
        <FormError result=created/>
        {move || view! { <NewSecret result=created.get()/> }}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="data" data-testid="tokens">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Role"</th>
                                <th scope="col">"Made"</th><th scope="col">"Expires"</th><th scope="col">"Last used"</th>
                                <th scope="col">"Status"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| view! {
                                    <tr>
                                        <td>{t.name.clone()}</td>
                                        <td><code>{format!("{}…", t.prefix)}</code></td>
                                        <td>{t.role.as_str()}</td>
                                        <td>{format_time(t.created_at)}</td>
                                        <td>{format_time(t.expires_at)}</td>
                                        <td>{t.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                                        <td>{if t.revoked_at.is_some() { "revoked" } else { "active" }}</td>
                                        <td>{t.revoked_at.is_none().then(|| view! {
                                            <ActionForm action=revoke attr:class="inline">
                                                <input type="hidden" name="id" value=t.id.to_string()/>
                                                <button type="submit" class="button subtle"
                                                    aria-label=format!("Revoke {}", t.name)>"Revoke"</button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
