//! Staff accounts: add, change role, disable or enable, reset a password.
//! Admin only; the server refuses everyone else whatever the page shows.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::staff::{
    list_staff, CreateStaff, ResetStaffPassword, SetStaffActive, SetStaffRole,
};
use crate::dto::{NewStaffResult, Role};
use crate::error::AppError;
use crate::ui::components::{failure, format_time, ErrorPanel, Field};

#[component]
fn OneTimePassword(result: Option<Result<NewStaffResult, AppError>>) -> impl IntoView {
    match result {
        Some(Ok(r)) => Some(view! {
            <div class="panel info" role="status">
                <p>{format!("Password for {} — shown once, copy it now:", r.staff.username)}</p>
                <p><code class="secret" data-testid="one-time-password">{r.one_time_password}</code></p>
            </div>
        }.into_any()),
        Some(Err(AppError::Invalid(_))) | None => None,
        Some(Err(e)) => Some(view! { <ErrorPanel err=e/> }.into_any()),
    }
}

#[component]
pub fn StaffPage() -> impl IntoView {
    let create = ServerAction::<CreateStaff>::new();
    let set_role = ServerAction::<SetStaffRole>::new();
    let set_active = ServerAction::<SetStaffActive>::new();
    let reset = ServerAction::<ResetStaffPassword>::new();
    let staff = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_staff(),
    );
    let created = Signal::derive(move || create.value().get());

    view! {
        <Title text="Staff"/>
        <h1>"Staff"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match staff.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) => view! {
                        <table class="data">
                            <thead><tr>
                                <th scope="col">"User"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                                <th scope="col">"Last sign-in"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| view! {
                                    <tr>
                                        <td>{s.username.clone()}</td>
                                        <td>
                                            <ActionForm action=set_role attr:class="inline">
                                                <input type="hidden" name="id" value=s.id.to_string()/>
                                                <select name="role" aria-label=format!("Role of {}", s.username)>
                                                    {Role::ALL.into_iter().map(|r| view! {
                                                        <option value=r.as_str() selected=r == s.role>{r.as_str()}</option>
                                                    }).collect_view()}
                                                </select>
                                                <button type="submit" class="button subtle">"Set"</button>
                                            </ActionForm>
                                        </td>
                                        <td>{if s.active { "active" } else { "disabled" }}</td>
                                        <td>{s.last_login_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                                        <td class="row-actions">
                                            <ActionForm action=set_active attr:class="inline">
                                                <input type="hidden" name="id" value=s.id.to_string()/>
                                                <input type="hidden" name="active" value=(!s.active).to_string()/>
                                                <button type="submit" class="button subtle">{if s.active { "Disable" } else { "Enable" }}</button>
                                            </ActionForm>
                                            <ActionForm action=reset attr:class="inline">
                                                <input type="hidden" name="id" value=s.id.to_string()/>
                                                <button type="submit" class="button subtle">"Reset password"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        {move || view! { <OneTimePassword result=reset.value().get()/> }}
        {move || set_role.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
        {move || set_active.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
        <h2>"Add staff"</h2>
        <ActionForm action=create attr:class="form-grid">
            <Field field="username" label="User name" id="new-username" error=failure(created)>
                <input id="new-username" name="username" autocomplete="off"/>
            </Field>
            <Field field="role" label="Role" id="new-role" error=failure(created)>
                <select id="new-role" name="role">
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                </select>
            </Field>
            <div class="actions"><button type="submit" class="button primary">"Add"</button></div>
        </ActionForm>
        {move || view! { <OneTimePassword result=create.value().get()/> }}
    }
}
