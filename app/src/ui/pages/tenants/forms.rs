//! What staff type into the tenant page's forms, kept by the page: its
//! panels are made again on every change the page hears of (a pod turning
//! ready, a run's step), and a form half typed must stay as it was — open,
//! with its values and its preview.

use leptos::prelude::*;

use crate::api::operations::PreviewTenantChange;
use crate::dto::CustomValues;

/// The change form ("Change tier, release, replicas or custom fields").
#[derive(Clone, Copy)]
pub struct ChangeFormState {
    pub open: RwSignal<bool>,
    pub template: RwSignal<String>,
    pub api: RwSignal<String>,
    pub web: RwSignal<String>,
    pub release: RwSignal<String>,
    /// The custom fields as typed; taken from the tenant whenever the form
    /// is made while closed.
    pub custom: RwSignal<CustomValues>,
    pub preview: ServerAction<PreviewTenantChange>,
}

/// The deprovisioning form.
#[derive(Clone, Copy)]
pub struct DeprovisionState {
    pub open: RwSignal<bool>,
    pub backup: RwSignal<bool>,
    pub purge_audit: RwSignal<bool>,
    pub notify_owner: RwSignal<bool>,
    pub force: RwSignal<bool>,
    pub grace_hours: RwSignal<String>,
    pub scheduled_at: RwSignal<String>,
    pub confirm: RwSignal<String>,
}

/// The record's edit form: company, owner name, owner e-mail, custom
/// domain; `None` until typed into (the tenant's values then).
#[derive(Clone, Copy)]
pub struct EditState {
    pub open: RwSignal<bool>,
    pub values: RwSignal<Option<[String; 4]>>,
}

/// Every form of the tenant page whose state outlives its panel.
#[derive(Clone, Copy)]
pub struct TenantForms {
    pub change: ChangeFormState,
    pub deprovision: DeprovisionState,
    pub edit: EditState,
}

impl TenantForms {
    pub fn new() -> TenantForms {
        TenantForms {
            change: ChangeFormState {
                open: RwSignal::new(false),
                template: RwSignal::new(String::new()),
                api: RwSignal::new(String::new()),
                web: RwSignal::new(String::new()),
                release: RwSignal::new(String::new()),
                custom: RwSignal::new(CustomValues::new()),
                preview: ServerAction::new(),
            },
            deprovision: DeprovisionState {
                open: RwSignal::new(false),
                backup: RwSignal::new(true),
                purge_audit: RwSignal::new(false),
                notify_owner: RwSignal::new(false),
                force: RwSignal::new(false),
                grace_hours: RwSignal::new(String::new()),
                scheduled_at: RwSignal::new(String::new()),
                confirm: RwSignal::new(String::new()),
            },
            edit: EditState {
                open: RwSignal::new(false),
                values: RwSignal::new(None),
            },
        }
    }
}

impl ChangeFormState {
    /// Closed and empty again (after a change was applied).
    pub fn reset(&self) {
        self.open.set(false);
        for s in [self.template, self.api, self.web, self.release] {
            s.set(String::new());
        }
        self.preview.value().set(None);
    }
}

/// A `<details>` whose open state is the page's (`open`), so a panel made
/// again keeps it as staff left it.
#[component]
pub fn KeptOpen(
    open: RwSignal<bool>,
    #[prop(into)] summary: String,
    #[prop(optional, into)] class: String,
    children: Children,
) -> impl IntoView {
    view! {
        <details class=class prop:open=move || open.get()>
            <summary on:click=move |ev: leptos::ev::MouseEvent| {
                ev.prevent_default();
                open.update(|o| *o = !*o);
            }>{summary}</summary>
            {children()}
        </details>
    }
}
