//! Alerts as a list, shared by the alerts page and the tenant page: what
//! fired, when, and (for operators) acknowledge and resolve.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::alerts::{AckAlert, ResolveAlert};
use crate::dto::{AlertDto, AlertState};
use crate::ui::components::format_time;

/// The actions an operator has on alerts.
#[derive(Clone, Copy)]
pub struct AlertActions {
    pub ack: ServerAction<AckAlert>,
    pub resolve: ServerAction<ResolveAlert>,
}

impl AlertActions {
    pub fn new() -> Self {
        Self {
            ack: ServerAction::new(),
            resolve: ServerAction::new(),
        }
    }

    /// Moves whenever one of them finished (to refetch).
    pub fn version(&self) -> usize {
        self.ack.version().get() + self.resolve.version().get()
    }

    /// The last action's error, if any.
    pub fn error(&self) -> Option<crate::error::AppError> {
        self.ack
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| self.resolve.value().get().and_then(|r| r.err()))
    }
}

impl Default for AlertActions {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn AlertList(alerts: Vec<AlertDto>, operator: bool, actions: AlertActions) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="panel empty" data-testid="no-alerts">"No alerts."</p> }
            .into_any();
    }
    view! {
        <ul class="alerts" data-testid="alerts">
            {alerts.into_iter().map(|a| {
                let id = a.id;
                let firing = a.state == AlertState::Firing;
                let open = a.state != AlertState::Resolved;
                let tenant = a.tenant_id.clone();
                view! {
                    <li class=format!("alert sev-{} state-{}", a.severity, a.state)
                        data-alert=id data-rule=a.rule.as_str() data-state=a.state.as_str()
                        data-tenant=a.tenant_id.clone().unwrap_or_default()>
                        <span class=format!("badge sev-{}", a.severity)>{a.severity.as_str()}</span>
                        <span class=format!("badge alert-state-{}", a.state)>{a.state.as_str()}</span>
                        {a.silenced.then(|| view! { <span class="badge silenced" title="notifications held back">"silenced"</span> })}
                        <span class="alert-summary">{a.summary.clone()}</span>
                        <span class="muted small">
                            {tenant.map(|t| view! { <A href=format!("/tenants/{t}") attr:class="mono">{t.clone()}</A>" · " })}
                            {format!("{} · since {}", a.rule, format_time(a.started_at))}
                            {a.fired_at.map(|f| format!(" · fired {}", format_time(f)))}
                            {a.acknowledged_by.clone().map(|by| format!(" · acknowledged by {by}{}", a.ack_note.clone().map(|n| format!(": {n}")).unwrap_or_default()))}
                            {a.resolved_at.map(|r| format!(" · resolved {}{}", format_time(r), a.resolved_by.clone().map(|b| format!(" by {b}")).unwrap_or_default()))}
                        </span>
                        {(operator && open).then(|| view! {
                            <span class="alert-actions">
                                {firing.then(|| view! {
                                    <ActionForm action=actions.ack attr:class="inline">
                                        <input type="hidden" name="id" value=id/>
                                        <input name="note" placeholder="note (optional)" aria-label="Acknowledgement note"/>
                                        <button type="submit" class="button">"Acknowledge"</button>
                                    </ActionForm>
                                })}
                                <ActionForm action=actions.resolve attr:class="inline">
                                    <input type="hidden" name="id" value=id/>
                                    <button type="submit" class="button subtle">"Resolve"</button>
                                </ActionForm>
                            </span>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
