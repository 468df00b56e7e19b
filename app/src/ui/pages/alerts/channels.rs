//! Notification channels (admins change them; everyone may look) and the
//! delivery log.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::channels::{delivery_log, list_channels, DeleteChannel, SaveChannel, TestChannel};
use crate::dto::Topic;
use crate::dto::{ChannelForm, Role, Severity};
use crate::ui::components::{failure, format_time, ErrorPanel, Field, FormError};
use crate::ui::live::use_live;
use crate::ui::shell::{can, use_session};

/// The create or edit form of a channel (`id` 0: a new one).
#[component]
fn ChannelEditor(id: i64, start: ChannelForm, save: ServerAction<SaveChannel>) -> impl IntoView {
    let result = Signal::derive(move || save.value().get());
    let f = move |name: &'static str, label: &'static str, value: String, hint: &'static str| {
        let input_id = format!("ch{id}-{name}");
        view! {
            <Field field=name label id=input_id.clone() error=failure(result)>
                <input id=input_id name=format!("form[{name}]") value=value placeholder=hint/>
            </Field>
        }
    };
    view! {
        <ActionForm action=save attr:class="form-grid">
            <input type="hidden" name="id" value=id/>
            {f("name", "Name", start.name.clone(), "")}
            <Field field="kind" label="Kind" id=format!("ch{id}-kind") error=failure(result)>
                <select id=format!("ch{id}-kind") name="form[kind]">
                    {["email", "webhook", "slack", "pagerduty"].into_iter().map(|k| {
                        let selected = start.kind == k;
                        view! { <option value=k selected=selected>{k}</option> }
                    }).collect_view()}
                </select>
            </Field>
            {f("email_to", "Email: to (comma-separated)", start.email_to.clone(), "ops@example.com")}
            {f("email_from", "Email: from", start.email_from.clone(), "tenantry@example.com")}
            {f("smtp_host", "Email: SMTP host", start.smtp_host.clone(), "smtp.example.com")}
            {f("smtp_port", "Email: SMTP port", start.smtp_port.clone(), "587")}
            {f("smtp_tls", "Email: TLS (starttls, tls, none)", start.smtp_tls.clone(), "starttls")}
            {f("smtp_user", "Email: SMTP user", start.smtp_user.clone(), "")}
            {f("owner_rules", "Email: also the tenant's owner, for rules", start.owner_rules.clone(), "tenant_down,quota_usage")}
            {f("url", "Webhook or PagerDuty events URL", start.url.clone(), "https://…")}
            <Field field="secret" label="Secret: SMTP password, Slack URL or PagerDuty key (empty keeps the stored one)" id=format!("ch{id}-secret") error=failure(result)>
                <input id=format!("ch{id}-secret") name="form[secret]" type="password" autocomplete="off"/>
            </Field>
            <Field field="ca_cert" label="CA certificate (PEM, for a private TLS endpoint)" id=format!("ch{id}-ca") error=failure(result)>
                <textarea id=format!("ch{id}-ca") name="form[ca_cert]" rows="2">{start.ca_cert.clone()}</textarea>
            </Field>
            <Field field="min_severity" label="From severity" id=format!("ch{id}-sev") error=failure(result)>
                <select id=format!("ch{id}-sev") name="form[min_severity]">
                    {Severity::ALL.iter().map(|s| {
                        let selected = start.min_severity == s.as_str() || (start.min_severity.is_empty() && *s == Severity::Warning);
                        view! { <option value=s.as_str() selected=selected>{s.as_str()}</option> }
                    }).collect_view()}
                </select>
            </Field>
            {f("template_ids", "Only templates (ids, empty: all)", start.template_ids.clone(), "")}
            {f("tenant_ids", "Only tenants (empty: all)", start.tenant_ids.clone(), "")}
            {f("group_window_secs", "Group window (s)", start.group_window_secs.clone(), "30")}
            {f("repeat_secs", "Repeat while unacknowledged (s, 0: never)", start.repeat_secs.clone(), "14400")}
            <label class="check"><input type="checkbox" name="form[send_resolved]" value="true" checked=start.send_resolved || id == 0/>" Send a notice when resolved"</label>
            <label class="check"><input type="checkbox" name="form[enabled]" value="true" checked=start.enabled || id == 0/>" Enabled"</label>
            <div class="actions"><button type="submit" class="button primary">{if id == 0 { "Add channel" } else { "Save" }}</button></div>
        </ActionForm>
        <FormError result/>
    }
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let session = use_session();
    let save = ServerAction::<SaveChannel>::new();
    let delete = ServerAction::<DeleteChannel>::new();
    let test = ServerAction::<TestChannel>::new();
    let tick = use_live(|| vec![Topic::Alerts]);
    let changed = move || save.version().get() + delete.version().get() + test.version().get();
    let channels = Resource::new(move || (tick.get(), changed()), |_| list_channels());
    let log = Resource::new(move || (tick.get(), changed()), |_| delivery_log(0));
    view! {
        <Title text="Notification channels"/>
        <div class="page-head">
            <h1>"Notification channels"</h1>
            <A href="/alerts" attr:class="button subtle">"Alerts"</A>
        </div>
        {move || save.value().get().and_then(|r| r.ok()).and_then(|s| s.signing_secret).map(|secret| view! {
            <div class="panel notice" role="status">
                <p>"The webhook's signing secret, shown this once: verify each delivery's "<code>"webhook-signature"</code>" with it."</p>
                <code class="secret" data-testid="signing-secret">{secret}</code>
            </div>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await;
                let admin = can(&me, Role::Admin);
                match channels.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) => view! {
                        {list.is_empty().then(|| view! { <p class="panel empty">"No channel yet: nobody is told of alerts."</p> })}
                        <ul class="channels" data-testid="channels">
                            {list.into_iter().map(|c| view! {
                                <li data-channel=c.name.clone()>
                                    <strong>{c.name.clone()}</strong>" "<span class="badge">{c.kind.as_str()}</span>
                                    {(!c.enabled).then(|| view! { <span class="badge">"off"</span> })}
                                    <span class="muted small">{format!(" {} · from {} · group {} s · repeat {} s{}",
                                        c.target, c.min_severity, c.group_window_secs, c.repeat_secs,
                                        if c.send_resolved { " · resolve notices" } else { "" })}</span>
                                    {admin.then(|| view! {
                                        <ActionForm action=test attr:class="inline">
                                            <input type="hidden" name="id" value=c.id/>
                                            <button type="submit" class="button">"Send test"</button>
                                        </ActionForm>
                                        <ActionForm action=delete attr:class="inline">
                                            <input type="hidden" name="id" value=c.id/>
                                            <button type="submit" class="button danger">"Delete"</button>
                                        </ActionForm>
                                        <details><summary>"Edit"</summary><ChannelEditor id=c.id start=c.form.clone() save/></details>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                        {admin.then(|| view! {
                            <details class="panel" open=true>
                                <summary>"Add a channel"</summary>
                                <ChannelEditor id=0 start=ChannelForm::default() save/>
                            </details>
                        })}
                    }.into_any(),
                }
            })}
        </Transition>
        {move || test.value().get().and_then(|r| r.err()).or_else(|| delete.value().get().and_then(|r| r.err())).map(|e| view! { <ErrorPanel err=e/> })}
        <section aria-labelledby="log-h">
            <h2 id="log-h">"Delivery log"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match log.await {
                        Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! { <p class="panel empty">"Nothing sent yet."</p> }.into_any(),
                        Ok(rows) => view! {
                            <table class="data compact" data-testid="delivery-log">
                                <thead><tr><th>"When"</th><th>"Channel"</th><th>"What"</th><th>"Alerts"</th><th>"State"</th><th>"Attempts"</th><th>"Error"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|n| view! {
                                        <tr data-state=n.state.clone()>
                                            <td>{format_time(n.sent_at.unwrap_or(n.created_at))}</td>
                                            <td>{n.channel}</td>
                                            <td>{n.kind}</td>
                                            <td class="mono">{n.alert_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")}</td>
                                            <td>{n.state.clone()}</td>
                                            <td>{n.attempts}</td>
                                            <td class="small">{n.last_error.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
