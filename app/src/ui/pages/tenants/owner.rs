//! What Tenantry writes to the tenant's owner: each message as it reads
//! (its one-time link a placeholder), when it is sent, and whether it went
//! out.

use leptos::prelude::*;

use crate::api::tenants::owner_messages;
use crate::ui::components::{format_time, ErrorPanel};

/// Made again with the tenant's page on every change it hears of, so its
/// resource keys on the tenant alone (one keyed on the page's live tick
/// would be read after the page disposed it), and which preview is open
/// is the page's (`previewed`), so a change does not close it.
#[component]
pub fn OwnerMessages(id: String, previewed: RwSignal<Option<String>>) -> impl IntoView {
    let messages = Resource::new(move || id.clone(), owner_messages);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match messages.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(m) => view! {
                        <section class="panel" aria-labelledby="owner-h" data-testid="owner-messages">
                            <h2 id="owner-h">"Messages to the owner"</h2>
                            <p class="muted">{match &m.channel {
                                Some(c) => format!("Sent by mail through the channel \"{c}\", to the owner only."),
                                None => "No owner channel is configured (--owner-channel): nothing is sent.".to_string(),
                            }}</p>
                            <ul class="plain">
                                {m.messages.into_iter().map(|msg| {
                                    let state = match (msg.state.as_deref(), msg.sent_at) {
                                        (Some("sent"), Some(at)) => format!("sent {}", format_time(at)),
                                        (Some(s), _) => s.to_string(),
                                        (None, _) => "not sent".to_string(),
                                    };
                                    let (mine, toggled) = (msg.message.clone(), msg.message.clone());
                                    let open = move || previewed.get().as_deref() == Some(mine.as_str());
                                    let toggle = move |ev: leptos::ev::MouseEvent| {
                                        ev.prevent_default();
                                        previewed.update(|p| {
                                            *p = if p.as_deref() == Some(toggled.as_str()) { None } else { Some(toggled.clone()) };
                                        });
                                    };
                                    view! {
                                        <li data-message=msg.message.clone()>
                                            <strong>{msg.subject.clone()}</strong>
                                            <span class="muted">{format!(" · {} · {state}", msg.when)}</span>
                                            <details prop:open=open>
                                                <summary on:click=toggle>"Preview"</summary>
                                                <pre class="mono">{msg.text.clone()}</pre>
                                            </details>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
